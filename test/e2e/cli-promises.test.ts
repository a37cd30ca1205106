// README promises of the CLI that no other suite runs: plans and dry runs take no lock, a price
// table by flag and by environment, AWS_ENDPOINT_URL_S3 for the endpoint, dotfiles in globs,
// verify of one shard, and runs --run-id for a run with a shard missing.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { runCli } from '../helpers/cli.ts'
import { klinesBed } from '../helpers/klines-bed.ts'
import { heldLocks } from '../helpers/locks.ts'
import { CLI } from '../helpers/paths.ts'
import { put } from '../helpers/buckets.ts'

describe('CLI promises', { concurrency: false }, () => {
  const bed = klinesBed('cli-promises', 30)
  const { env } = bed
  const adhoc = (to: string, ...more: string[]) => ['--from', 's3://src-bucket/', '--to', `s3://dst-bucket/${to}/`, '--endpoint', bed.server.endpoint, ...more]

  test('while a run holds the job\'s lock, plan and sync --dry-run of the same job run, and take no lock', { timeout: 120_000 }, async () => {
    const holder = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, 'sync', ...adhoc('locked', '--engine', 'sdk', '--max-rps', '20')], { env: { ...process.env, ...env() }, stdio: 'ignore' })
    const closed = new Promise<number | null>((r) => holder.once('close', r))
    try {
      for (let i = 0; i < 400 && !(await heldLocks(bed.state)).length; i++) await new Promise((r) => setTimeout(r, 25))
      const held = await heldLocks(bed.state)
      assert.equal(held.length, 1, 'the real run holds its lock')
      for (const args of [['plan', ...adhoc('locked')], ['sync', '--dry-run', ...adhoc('locked')]]) {
        const r = await runCli(args, { env: env() })
        assert.equal(r.code, 0, `${args[0]}: ${r.stderr}`)
        assert.doesNotMatch(r.stderr, /already running|waiting for job/)
        assert.deepEqual(await heldLocks(bed.state), held, `${args.join(' ')} took no lock`)
      }
    } finally {
      holder.kill()
      await closed
    }
  })

  test('--prices FILE and LAKESYNC_PRICES price the plan with the table given; a bad table names its key (exit 2)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lakesync-prices-'))
    try {
      const table = path.join(dir, 'prices.json')
      await writeFile(table, JSON.stringify({ requestPer1000: 1, readPer1000: 1, batchOpsPerJob: 100, batchOpsPerMillionObjects: 0, source: 'our negotiated prices' }))
      const byFlag = await runCli(['plan', ...adhoc('priced'), '--prices', table], { env: env() })
      assert.equal(byFlag.code, 0, byFlag.stderr)
      // 120 copies and their listings at $1 per 1,000 requests; the service's job alone costs $100.
      assert.match(byFlag.stdout, /cost: lakesync [\d,]+ requests ≈ \$0\.1\d+; S3 Batch Operations [\d,]+ requests \+ 1 job ≈ \$100\.\d\d \(prices: our negotiated prices\)/)
      const byEnv = await runCli(['plan', ...adhoc('priced')], { env: { ...env(), LAKESYNC_PRICES: table } })
      assert.equal(byEnv.code, 0, byEnv.stderr)
      assert.match(byEnv.stdout, /\(prices: our negotiated prices\)/)
      await writeFile(table, JSON.stringify({ requestPer1000: -1, putPer1000: 2 }))
      const bad = await runCli(['plan', ...adhoc('priced'), '--prices', table], { env: env() })
      assert.equal(bad.code, 2)
      assert.match(bad.stderr, /--prices: unknown key putPer1000/)
      assert.match(bad.stderr, /--prices: requestPer1000 must be a number of USD, 0 or more/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  test('AWS_ENDPOINT_URL_S3 names the endpoint of an ad-hoc job without --endpoint', async () => {
    const r = await runCli(['sync', '--from', 's3://src-bucket/', '--to', 's3://dst-bucket/by-env/'], { env: { ...env(), AWS_ENDPOINT_URL_S3: bed.server.endpoint } })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /copied 120 /)
  })

  test('include and exclude globs match dotfiles and keys under dot folders', async () => {
    const client = bed.server.client()
    for (const key of ['dots/.hidden.zip', 'dots/.cache/a.zip', 'dots/plain.zip', 'dots/.env']) await put(client, 'src-bucket', key, key)
    client.destroy()
    const r = await runCli(['sync', '--from', 's3://src-bucket/dots/', '--to', 's3://dst-bucket/dots/', '--endpoint', bed.server.endpoint, '--include', '**/*.zip', '--exclude', '.cache/**', '--json'], { env: env() })
    assert.equal(r.code, 0, r.stderr)
    const copied = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'item' && e.action === 'copied').map((e) => e.key).sort()
    assert.deepEqual(copied, ['dots/.hidden.zip', 'dots/plain.zip'])
  })

  test('verify --shard checks its part only; runs --run-id exits non-zero while a shard is missing, 0 once all ended ok', async () => {
    const sharded = (k: number) => runCli(['sync', ...adhoc('sharded'), '--shard', `${k}/2`, '--run-id', 'cli-promises-1'], { env: env() })
    assert.equal((await sharded(0)).code, 0)
    const missing = await runCli(['runs', '--run-id', 'cli-promises-1'], { env: env() })
    assert.notEqual(missing.code, 0, 'one of two shards has not run')
    assert.match(missing.stdout + missing.stderr, /missing 1\b/)
    const part = await runCli(['verify', ...adhoc('sharded'), '--shard', '0/2'], { env: env() })
    assert.equal(part.code, 0, `shard 0 is whole at the destination: ${part.stdout}${part.stderr}`)
    const other = await runCli(['verify', ...adhoc('sharded'), '--shard', '1/2'], { env: env() })
    assert.notEqual(other.code, 0, `shard 1 was never copied: verify says so\n${other.stdout}`)
    assert.equal((await sharded(1)).code, 0)
    const whole = await runCli(['runs', '--run-id', 'cli-promises-1'], { env: env() })
    assert.equal(whole.code, 0, whole.stdout + whole.stderr)
  })
})

describe('the lean engine and an anonymous destination (moto, which takes unsigned writes)', () => {
  test('its copies go unsigned through the lean path, and the summary says which engine copied them', { timeout: 120_000 }, async () => {
    const { startS3Server } = await import('../helpers/s3-server.ts')
    const { startFaultProxy } = await import('../helpers/fault-proxy.ts')
    const server = await startS3Server('moto', { buckets: ['open-src', 'open-lake'] })
    const proxy = await startFaultProxy(server.port, {})
    const dir = await mkdtemp(path.join(tmpdir(), 'lakesync-anon-'))
    try {
      const client = server.client()
      for (let i = 0; i < 6; i++) await put(client, 'open-src', `data/o-${i}.bin`, `object ${i}`)
      client.destroy()
      await writeFile(path.join(dir, 'lakesync.config.mjs'), `export default {
  connections: { open: { endpoint: '${proxy.endpoint}', anonymous: true } },
  jobs: { open: { source: { kind: 's3', url: 's3://open-src/data/', connection: 'open' }, destination: { kind: 's3', url: 's3://open-lake/mirror/', connection: 'open' }, engine: 'lean' } },
}\n`)
      const r = await runCli(['sync', '--json'], { cwd: dir, env: server.env })
      assert.equal(r.code, 0, r.stdout + r.stderr)
      const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l))
      const end = events.find((e) => e.type === 'job-end')
      assert.equal(end.engine, 'lean')
      assert.deepEqual(end.engines, { lean: 6 }, 'the lean path sent every copy itself')
      const copies = proxy.requests.filter((q) => q.copy)
      assert.equal(copies.length, 6)
      assert.ok(copies.every((q) => !q.signed), 'sent unsigned')
    } finally {
      await proxy.close()
      await server.stop()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
