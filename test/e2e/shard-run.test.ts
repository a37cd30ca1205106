import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import { startVersitygw, type LocalServer } from '../../src/bench/local-server.ts'
import { countAccessLog } from '../../src/bench/measure.ts'
import { s3Lister, withLevelCache } from '../../src/list/list-parallel.ts'
import { SdkTransport } from '../../src/storage/sdk-transport.ts'
import { compareKeys } from '../../src/storage/keys.ts'
import { shardSpan } from '../../src/plan/shard.ts'
import { startFaultProxy } from '../helpers/fault-proxy.ts'
import { runCli, suiteStateDir } from '../helpers/cli.ts'
import { ROOT } from '../helpers/paths.ts'
import type { LakesyncEvent } from '../../src/api/events.ts'

const SEED = path.join(ROOT, 'scripts/lib/seed-posix.py')
const SHARDS = 4

/** Every key under a prefix (relative to it) with its size and ETag, from the listing. */
async function listing(client: S3Client, bucket: string, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  let token: string | undefined
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }))
    for (const o of page.Contents ?? []) out.set(o.Key!.slice(prefix.length), `${o.Size} ${o.ETag}`)
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token)
  return out
}

describe('4 shard processes started at once on 20,000 objects', { concurrency: false }, () => {
  let server: LocalServer
  let work: string
  let accessLog: string
  const proxies: Awaited<ReturnType<typeof startFaultProxy>>[] = []

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'lakesync-shards-'))
    accessLog = path.join(work, 'access.log')
    server = await startVersitygw(undefined, { accessLog })
    await server.createBuckets('archive', 'lake')
    // 50 symbols × 200 days, a zip and its sidecar each, written straight into the server's folder.
    const seeded = spawnSync('python3', [SEED, server.dir, 'archive', 'lake', 'seeded/', '50', '1d', '200', '2024-01-01'], { encoding: 'utf8', maxBuffer: 1 << 26 })
    assert.equal(seeded.status, 0, seeded.stderr)
  })
  after(async () => {
    for (const p of proxies) await p.close()
    await server?.stop()
    if (work) await rm(work, { recursive: true, force: true })
  })

  test('exactly 20,000 CopyObject between them, an identical mirror, each shard listing its own span; runs groups them', async (t) => {
    const state = await suiteStateDir('shards')
    const port = Number(new URL(server.endpoint).port)
    // Each shard talks through a proxy of its own, so its requests can be told apart.
    for (let k = 0; k < SHARDS; k++) proxies.push(await startFaultProxy(port, {}))
    const env = { AWS_ACCESS_KEY_ID: server.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey, AWS_REGION: 'us-east-1', LAKESYNC_STATE_DIR: state }
    const before = countAccessLog(await readFile(accessLog, 'utf8').catch(() => ''))
    const results = await Promise.all(proxies.map((p, k) =>
      runCli(['sync', '--from', 's3://archive/data/', '--to', 's3://lake/sharded/', '--endpoint', p.endpoint, '--shard', `${k}/${SHARDS}`, '--run-id', 'nightly-7', '--json'], { env })))
    const ends = results.map((r, k) => {
      assert.equal(r.code, 0, `shard ${k}: ${r.stderr}`)
      const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as LakesyncEvent)
      const start = events.find((e) => e.type === 'job-start') as Extract<LakesyncEvent, { type: 'job-start' }>
      assert.deepEqual(start.shard, { index: k, count: SHARDS, runId: 'nightly-7' })
      return events.find((e) => e.type === 'job-end') as Extract<LakesyncEvent, { type: 'job-end' }>
    })
    assert.equal(ends.reduce((n, e) => n + e.copied, 0), 20_000)
    assert.ok(ends.every((e) => e.copied > 2_000), `each shard carries a share: ${ends.map((e) => e.copied).join(', ')}`)

    const after = countAccessLog(await readFile(accessLog, 'utf8'))
    assert.equal((after.CopyObject ?? 0) - (before.CopyObject ?? 0), 20_000, 'the server saw each object copied exactly once')
    const mirror = await listing(server.client, 'lake', 'sharded/')
    assert.deepEqual([...mirror], [...(await listing(server.client, 'archive', 'data/'))], 'the mirror has every key, with the same sizes and ETags')

    // Each shard's key listings (no delimiter) start inside its span, and together they read the
    // source about once: a shard that listed everything would make 20 of them alone.
    const lister = withLevelCache(s3Lister(new SdkTransport(server.client), 'archive', new AbortController().signal))
    let sourcePages = 0
    for (const [k, proxy] of proxies.entries()) {
      const span = await shardSpan(lister, 'data/', { index: k, count: SHARDS })
      assert.notEqual(span, 'empty')
      const { after: from, through } = span as { after?: string; through?: string }
      const keyLists = proxy.requests.filter((q) => q.list && /^\/archive\/?$/.test(q.path) && !q.query.has('delimiter'))
      sourcePages += keyLists.length
      const inSpan = (key: string) => (from === undefined || compareKeys(key, from) >= 0) && (through === undefined || compareKeys(key, through) < 0)
      for (const q of keyLists) {
        // A continuation goes on from the last key of the page before: versitygw's token is that key.
        const startAfter = q.query.get('start-after') ?? q.query.get('continuation-token')
        if (startAfter === null) continue // the listing from the very start: checked below
        assert.ok(inSpan(startAfter), `shard ${k}: a listing after ${startAfter} lies in (${from}, ${through}]`)
      }
      // Only the first shard lists from the very start of the prefix, and it does, once.
      const fromStart = keyLists.filter((q) => !q.query.has('start-after') && !q.query.has('continuation-token')).length
      assert.equal(fromStart, from === undefined ? 1 : 0, `shard ${k}: listings from the start of the prefix`)
    }
    t.diagnostic(`copied per shard: ${ends.map((e) => e.copied).join(', ')}; source key listings: ${sourcePages}`)
    // 20 pages of 1,000 keys: read about once in all, give or take a partial page where a range
    // ends. Four shards each listing the whole source would read 80.
    assert.ok(sourcePages >= 20 && sourcePages < 40, `the source's 20 pages read about once across the shards (${sourcePages} requests)`)

    const runs = await runCli(['runs'], { env })
    assert.match(runs.stdout, /run nightly-7: 4 of 4 shards recorded, all ok/)
    const check = await runCli(['runs', '--run-id', 'nightly-7'], { env })
    assert.equal(check.code, 0, check.stdout)
  })

  test('--shard auto outside a scheduler, or an index out of range, is a usage error (exit 2) that names the fix', async () => {
    const args = ['plan', '--from', 's3://archive/data/', '--to', 's3://lake/sharded/', '--endpoint', server.endpoint]
    const auto = await runCli([...args, '--shard', 'auto'])
    assert.equal(auto.code, 2, auto.stderr)
    assert.match(auto.stderr, /--shard auto: no scheduler index in the environment \(JOB_COMPLETION_INDEX/)
    const counted = await runCli([...args, '--shard', 'auto'], { env: { JOB_COMPLETION_INDEX: '4', LAKESYNC_SHARD_COUNT: '4' } })
    assert.equal(counted.code, 2, counted.stderr)
    assert.match(counted.stderr, /index 4 is out of range for 4 shards \(0 to 3\)/)
    const missing = await runCli([...args, '--shard', 'auto'], { env: { JOB_COMPLETION_INDEX: '1' } })
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /pass --shard-count N or set LAKESYNC_SHARD_COUNT/)
  })
})
