import { after, before, describe, test } from 'node:test'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import assert from 'node:assert/strict'
import { startS3Server, serverKinds, type S3TestServer } from '../helpers/s3-server.ts'
import { runCli } from '../helpers/cli.ts'
import { startFaultProxy } from '../helpers/fault-proxy.ts'
import { put, snapshot } from '../helpers/buckets.ts'
import { awkwardKeys } from '../helpers/keys.ts'
import { generatedKlines, putAll, realSamples } from '../../scripts/lib/seed.ts'
import type { LakesyncEvent } from '../../src/api/events.ts'

const events = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as LakesyncEvent)
const items = (stdout: string) => events(stdout).filter((e): e is Extract<LakesyncEvent, { type: 'item' }> => e.type === 'item')

for (const kind of serverKinds({ third: true })) {
  describe(`mirror on ${kind}`, { concurrency: false }, () => {
    let server: S3TestServer
    let source: Map<string, string>
    const sync = (to: string, ...extra: string[]) =>
      runCli(['sync', '--from', 's3://src-bucket/', '--to', to, '--endpoint', server.endpoint, '--json', ...extra], { env: server.env })

    before(async () => {
      server = await startS3Server(kind, { buckets: ['src-bucket', 'dst-bucket'] })
      const client = server.client()
      const objects = [
        ...(await realSamples()),
        ...generatedKlines({ symbols: ['BTCUSDT', 'ETHUSDT'], intervals: ['1m', '1h'], days: 60 }),
        ...awkwardKeys().map((key, i) => ({ key, body: Buffer.from(`awkward ${i} ${key}`) })),
      ]
      await putAll(client, 'src-bucket', objects)
      source = await snapshot(client, 'src-bucket')
      client.destroy()
      assert.ok(source.size >= 500, `seeded ${source.size} objects`)
    })
    after(() => server?.stop())

    for (const engine of ['s5cmd', 'sdk', 'lean'] as const) {
      test(`${engine}: mirrors 500+ objects with awkward keys byte-identical, server-side`, async () => {
        // Through a proxy that records every request: server-side means no object byte crossed it.
        const proxy = await startFaultProxy(server.port, {})
        const r = await runCli(['sync', '--from', 's3://src-bucket/', '--to', `s3://dst-bucket/${engine}/`, '--endpoint', proxy.endpoint, '--json', '--engine', engine], { env: server.env })
        await proxy.close()
        assert.equal(r.code, 0, r.stderr)
        assert.deepEqual(proxy.requests.filter((q) => (q.method === 'GET' && !q.list) || (q.method === 'PUT' && !q.copy)).map((q) => `${q.method} ${q.path}`), [], 'no GetObject or PutObject: nothing went through this host')
        assert.ok(proxy.requests.filter((q) => q.copy).length >= source.size, 'one CopyObject per object at least')
        const copied = items(r.stdout).filter((e) => e.action === 'copied')
        assert.equal(copied.length, source.size)
        // moto and SeaweedFS decode s5cmd's form-encoded copy source ("+" for space) literally: those keys are rescued by sdk.
        const other = copied.filter((e) => e.engine !== engine)
        assert.deepEqual(other.filter((e) => !(kind !== 'versitygw' && e.key.includes(' '))).map((e) => e.key), [])
        const end = events(r.stdout).find((e) => e.type === 'job-end')!
        assert.equal(end.type === 'job-end' && end.bytesThroughHost, 0)
        const client = server.client()
        const dest = await snapshot(client, 'dst-bucket', `${engine}/`)
        client.destroy()
        assert.deepEqual([...dest], [...source])
      })

      test(`${engine}: a second run copies nothing and says why`, async () => {
        const r = await sync(`s3://dst-bucket/${engine}/`, '--engine', engine)
        assert.equal(r.code, 0, r.stderr)
        const all = items(r.stdout)
        assert.equal(all.length, source.size)
        assert.ok(all.every((e) => e.action === 'skipped' && e.reason.startsWith('unchanged')), 'every item skipped as unchanged')
        const plain = await runCli(['sync', '--from', 's3://src-bucket/', '--to', `s3://dst-bucket/${engine}/`, '--endpoint', server.endpoint, '--engine', engine], { env: server.env })
        assert.match(plain.stdout, new RegExp(`copied 0 .*skipped ${source.size.toLocaleString('en-US')}`))
        assert.match(plain.stdout, /why: unchanged \d/)
      })

      test(`${engine}: a source object replaced by other bytes of the same size is recopied, alone`, async () => {
        const key = 'special/with space.zip'
        const client = server.client()
        const original = Buffer.from(`awkward 0 ${key}`)
        const old = (await snapshot(client, 'src-bucket', key)).get('')!
        const body = Buffer.from(original)
        body[0] = body[0]! ^ 0xff
        await put(client, 'src-bucket', key, body)
        try {
          const r = await sync(`s3://dst-bucket/${engine}/`, '--engine', engine)
          assert.equal(r.code, 0, r.stderr)
          const copied = items(r.stdout).filter((e) => e.action === 'copied')
          assert.deepEqual(copied.map((e) => [e.key, e.reason.split(';')[0]]), [[key, 'content differs (ETag)']])
          const now = (await snapshot(client, 'dst-bucket', `${engine}/${key}`)).get('')
          assert.notEqual(now, old)
          assert.equal(now, (await snapshot(client, 'src-bucket', key)).get(''))
        } finally {
          // Restore for the other engine's turn.
          await put(client, 'src-bucket', key, original)
          client.destroy()
        }
      })
    }
  })
}

// SeaweedFS keeps keys as file paths: a path segment over 255 bytes is refused, an empty one
// (a//b) is stored as a/b while a HEAD of a//b, and a listing with it in the prefix, still answer,
// and a backslash is listed as a folder separator (a\b as a/b).
if (serverKinds({ third: true }).includes('seaweedfs')) {
  describe('a lake on SeaweedFS, which keeps keys as file paths', { concurrency: false }, () => {
    const servers: S3TestServer[] = []
    after(() => Promise.all(servers.map((s) => s.stop())))
    const keys = { double: 'odd//double-slash.zip', backslash: 'odd/back\\slash.zip', long: `long/${'y'.repeat(256)}.zip`, plain: 'plain.zip' }

    test('a key it cannot hold as given fails by name (never reported copied under a key it rewrote); another server holds them all', async () => {
      const [source, weed, moto] = await Promise.all([startS3Server('moto', { buckets: ['src'] }), startS3Server('seaweedfs', { buckets: ['lake'] }), startS3Server('moto', { buckets: ['lake'] })])
      servers.push(source, weed, moto)
      const client = source.client()
      await putAll(client, 'src', Object.values(keys).map((key) => ({ key, body: Buffer.from(`bytes of ${key.slice(0, 20)}`) })))
      client.destroy()
      const mirror = async (lake: S3TestServer) => {
        const connection = (s: S3TestServer) => `{ endpoint: '${s.endpoint}', credentials: { accessKeyId: '${s.accessKeyId}', secretAccessKey: process.env.${s === source ? 'SOURCE' : 'LAKE'}_SECRET } }`
        const config = `export default { connections: { source: ${connection(source)}, lake: ${connection(lake)} }, jobs: { m: { source: { kind: 's3', url: 's3://src/', connection: 'source' }, destination: { kind: 's3', url: 's3://lake/m/', connection: 'lake' } } } }`
        const file = path.join(await mkdtemp(path.join(tmpdir(), 'lakesync-weed-')), 'lakesync.config.mjs')
        await writeFile(file, config)
        return runCli(['sync', '--json', '--config', file], { env: { SOURCE_SECRET: source.secretAccessKey, LAKE_SECRET: lake.secretAccessKey } })
      }
      const onWeed = await mirror(weed)
      assert.equal(onWeed.code, 1, onWeed.stderr) // items failed
      const outcome = Object.fromEntries(items(onWeed.stdout).map((e) => [e.key, `${e.action}: ${e.error ?? ''}`]))
      assert.match(outcome[keys.double]!, /^failed: not at the destination under this exact key after the copy: a server that keeps keys as file paths may have stored it under another/)
      assert.match(outcome[keys.backslash]!, /^failed: not at the destination under this exact key after the copy/)
      assert.match(outcome[keys.long]!, /^failed: .*KeyTooLongError/)
      assert.equal(outcome[keys.plain], 'copied: ')
      const onMoto = await mirror(moto)
      assert.equal(onMoto.code, 0, onMoto.stdout + onMoto.stderr)
      assert.deepEqual(items(onMoto.stdout).map((e) => e.action), ['copied', 'copied', 'copied', 'copied'])
    })
  })
}
