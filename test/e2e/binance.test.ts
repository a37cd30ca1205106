import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3'
import { createHash, randomBytes } from 'node:crypto'
import { startS3Server, serverKinds, type S3TestServer } from '../helpers/s3-server.ts'
import { startFaultProxy } from '../helpers/fault-proxy.ts'
import { runCli } from '../helpers/cli.ts'
import { put, snapshot } from '../helpers/buckets.ts'
import { parseAccessLog } from '../../src/bench/measure.ts'
import { generatedKlines, putAll, realSamples, withSidecar } from '../../scripts/lib/seed.ts'
import type { LakesyncEvent } from '../../src/api/events.ts'

const events = (stdout: string) => stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LakesyncEvent)
const of = <T extends LakesyncEvent['type']>(stdout: string, type: T) => events(stdout).filter((e): e is Extract<LakesyncEvent, { type: T }> => e.type === type)
const ARCHIVE = 'data.binance.vision'
const day = (n: number) => new Date(Date.UTC(2024, 0, 1 + n)).toISOString().slice(0, 10)

const CONFIG = `import { defineConfig, binance } from 'lakesync'
import { checksums } from 'lakesync/plugins'

const spot = { market: 'spot', frequency: 'daily', dataType: 'klines', bucket: '${ARCHIVE}', connection: 'local' } as const

export default defineConfig({
  connections: { local: { endpoint: process.env.E } },
  jobs: {
    klines: {
      source: binance.archive({ ...spot, symbols: ['BTCUSDT', 'ETHUSDT'], intervals: ['1m', '1h'], from: '2024-01-01', to: '2024-02-09' }),
      destination: 's3://lake/raw/',
      connection: 'local',
    },
    hive: {
      source: binance.archive({ ...spot, symbols: ['BTCUSDT'], intervals: ['1h'], from: '2024-01-01', to: '2024-01-10', sidecars: false }),
      destination: 's3://lake/hive/',
      connection: 'local',
      keyMap: binance.hiveKeys(),
    },
    real: {
      source: binance.archive({ market: 'futures/um', frequency: 'monthly', dataType: 'fundingRate', symbols: '*', from: '2026-04', to: '2026-04', bucket: '${ARCHIVE}', connection: 'local' }),
      destination: 's3://lake/real/',
      connection: 'local',
    },
    realspot: {
      source: binance.archive({ ...spot, symbols: ['BTCUSDT'], intervals: ['1h'], from: '2026-05-08', to: '2026-05-09' }),
      destination: 's3://lake/real/',
      connection: 'local',
    },
    spread: {
      source: binance.archive({ ...spot, symbols: ['BTCUSDT', 'ETHUSDT'], intervals: ['1m', '1h'], from: '2024-01-20', to: '2024-01-29' }),
      destination: 's3://lake/spread/',
      connection: 'local',
    },
    keyorder: {
      source: binance.archive({ ...spot, symbols: ['BTCUSDT', 'ETHUSDT'], intervals: ['1m', '1h'], from: '2024-01-20', to: '2024-01-29' }),
      destination: 's3://lake/keyorder/',
      connection: 'local',
      order: 'key',
    },
    many: {
      source: binance.archive({ ...spot, symbols: ['BNBUSDT', 'XRPUSDT'], intervals: ['1d'], from: '2024-01-01', to: '${day(249)}' }),
      destination: 's3://lake/many/',
      connection: 'local',
    },
  },
  plugins: [checksums({ quarantine: 'quarantine/' })],
})
`

for (const kind of serverKinds()) {
  describe(`Binance archive on ${kind}`, { concurrency: false }, () => {
    let server: S3TestServer
    let dir: string
    let accessLog: string
    const env = () => ({ ...server.env, E: server.endpoint })
    const sync = (...args: string[]) => runCli(['sync', '--json', ...args], { env: env(), cwd: dir })
    const removed = [['BTCUSDT', '1m', day(3)], ['ETHUSDT', '1h', day(17)], ['ETHUSDT', '1m', day(39)]]

    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'lakesync-binance-'))
      accessLog = path.join(dir, 'access.log')
      server = await startS3Server(kind, { accessLog, buckets: [ARCHIVE, 'lake'] })
      const client = server.client()
      const isRemoved = (key: string) => removed.some(([s, i, d]) => key.includes(`/${s}/${i}/${s}-${i}-${d}.zip`))
      await putAll(client, ARCHIVE, [
        ...(await realSamples()),
        // 45 days, of which 40 are selected; another symbol not selected; 3 days missing.
        ...generatedKlines({ symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], intervals: ['1m', '1h'], days: 45 }).filter((o) => !isRemoved(o.key)),
        ...generatedKlines({ symbols: ['BNBUSDT', 'XRPUSDT'], intervals: ['1d'], days: 250, minBytes: 200, maxBytes: 600 }),
        { key: 'data/spot/daily/klines/BTCUSDT/1m/README.txt', body: Buffer.from('a stray key') },
      ])
      client.destroy()
      await writeFile(path.join(dir, 'lakesync.config.ts'), CONFIG)
    })
    after(() => server?.stop())

    test('2 symbols × 2 intervals × 40 days expand to exactly the expected keys; the gap report lists the 3 missing days', async () => {
      const r = await sync('klines')
      assert.equal(r.code, 0, r.stderr)
      const expected: string[] = []
      for (const s of ['BTCUSDT', 'ETHUSDT']) for (const i of ['1m', '1h']) for (let d = 0; d < 40; d++) {
        if (removed.some(([rs, ri, rd]) => rs === s && ri === i && rd === day(d))) continue
        const key = `data/spot/daily/klines/${s}/${i}/${s}-${i}-${day(d)}.zip`
        expected.push(key, `${key}.CHECKSUM`)
      }
      expected.push('data/spot/daily/klines/BTCUSDT/1m/README.txt')
      const copied = of(r.stdout, 'item').filter((e) => e.action === 'copied').map((e) => e.key)
      assert.deepEqual(copied.sort(), expected.sort())
      const client = server.client()
      assert.deepEqual([...(await snapshot(client, 'lake', 'raw/')).keys()].sort(), expected.sort(), 'the destination mirrors the archive keys under its prefix')
      client.destroy()
      const [gaps] = of(r.stdout, 'gaps')
      assert.deepEqual(gaps!.missing.sort(), removed.map(([s, i, d]) => `${s}/${i} ${d}`).sort())
      assert.deepEqual(gaps!.stray, ['data/spot/daily/klines/BTCUSDT/1m/README.txt'])
      assert.equal(gaps!.expected, 160)
      const zips = of(r.stdout, 'item').filter((e) => e.key.endsWith('.zip'))
      assert.ok(zips.every((e) => /SHA-256 matches its sidecar/.test(e.reason)), 'every zip checked against its sidecar')
    })

    test('real archive samples, sidecars with and without a newline, verify against their checksums', async () => {
      for (const job of ['real', 'realspot']) {
        const r = await sync(job)
        assert.equal(r.code, 0, r.stderr)
        const zips = of(r.stdout, 'item').filter((e) => e.key.endsWith('.zip'))
        assert.ok(zips.length >= 1 && zips.every((e) => e.action === 'copied' && /SHA-256 matches its sidecar/.test(e.reason)), JSON.stringify(zips))
      }
      const client = server.client()
      const real = await snapshot(client, 'lake', 'real/')
      client.destroy()
      for (const s of await realSamples()) if (!s.key.includes('/cm/')) assert.ok(real.has(s.key), s.key)
    })

    test('a key mapping writes Hive-style partitions; a second run copies nothing', async () => {
      const r = await sync('hive')
      assert.equal(r.code, 0, r.stderr)
      const client = server.client()
      const keys = [...(await snapshot(client, 'lake', 'hive/')).keys()]
      client.destroy()
      assert.equal(keys.length, 10)
      assert.equal(keys[0], 'market=spot/type=klines/symbol=BTCUSDT/interval=1h/date=2024-01-01/BTCUSDT-1h-2024-01-01.zip')
      const again = await sync('hive')
      assert.equal(again.code, 0, again.stderr)
      const end = of(again.stdout, 'job-end')[0]!
      assert.equal(end.copied, 0)
      assert.equal(end.skipped, 10, 'every mapped key found and skipped')
      assert.equal(end.failed, 0)
    })

    test('a zip that no longer matches its sidecar: exit 3, named with both digests, quarantined; the others arrive', async () => {
      const client = server.client()
      const key = 'data/spot/daily/klines/BTCUSDT/1h/BTCUSDT-1h-2024-01-05.zip'
      // Re-published bytes of a new size, with the old sidecar: the copy cannot be trusted.
      const corrupted = Buffer.from('PK corrupted bytes')
      await put(client, ARCHIVE, key, corrupted)
      // A re-published file: same size, new bytes, new sidecar. It is recopied (ETag) and re-verified.
      const other = 'data/spot/daily/klines/ETHUSDT/1h/ETHUSDT-1h-2024-01-05.zip'
      const size = (await client.send(new HeadObjectCommand({ Bucket: ARCHIVE, Key: other }))).ContentLength!
      const republished = Buffer.concat([Buffer.from('PK'), randomBytes(size - 2)])
      await put(client, ARCHIVE, other, republished)
      await put(client, ARCHIVE, `${other}.CHECKSUM`, withSidecar(other, republished)[1]!.body)
      const r = await sync('klines')
      assert.equal(r.code, 3, r.stderr)
      const failed = of(r.stdout, 'item').filter((e) => e.action === 'failed')
      assert.deepEqual(failed.map((e) => e.key), [key])
      assert.match(failed[0]!.error!, /SHA-256 mismatch: the sidecar says [0-9a-f]{64}, the copy has [0-9a-f]{64}; moved to s3:\/\/lake\/quarantine\/raw\//)
      const copied = of(r.stdout, 'item').filter((e) => e.action === 'copied')
      assert.deepEqual(copied.map((e) => [e.key, e.reason.split(';')[0]]).sort(), [[other, 'content differs (ETag)'], [`${other}.CHECKSUM`, 'content differs (ETag)']])
      assert.match(copied.find((e) => e.key === other)!.reason, /SHA-256 matches its sidecar/)
      const lake = await snapshot(client, 'lake')
      assert.ok(!lake.has(`raw/${key}`), 'not left at its mirrored key')
      assert.equal(lake.get(`quarantine/raw/${key}`), createHash('sha256').update(corrupted).digest('hex'), 'the quarantined object holds the bytes that failed')
      const plain = await runCli(['sync', 'klines'], { env: env(), cwd: dir })
      assert.equal(plain.code, 3)
      assert.match(plain.stdout, /CHECKSUM MISMATCHES: 1/)
      client.destroy()
    })

    test('verifying 1,000 direct copies issues no GET of zip bytes', async () => {
      const before = (await readFile(accessLog, 'utf8').catch(() => '')).length
      // moto writes no access log: there the count is made by a proxy at the wire.
      const proxy = kind === 'moto' ? await startFaultProxy(server.port, {}) : undefined
      const r = await runCli(['sync', '--json', 'many'], { env: { ...env(), ...(proxy ? { E: proxy.endpoint } : {}) }, cwd: dir })
      await proxy?.close()
      assert.equal(r.code, 0, r.stderr)
      const end = of(r.stdout, 'job-end')[0]!
      assert.equal(end.copied, 1000)
      assert.equal(end.engines.lean, 1000, 'every copy by the lean engine, its SHA-256 from the CopyObject answer')
      // lakesync's own count: one GET per sidecar read, none for the 500 zips.
      assert.equal(end.requests.GetObject, 500)
      assert.equal(end.requests.CopyObject, 1000)
      {
        // The server's own request log (versitygw) or the proxy's (moto), independent of lakesync.
        const log = proxy
          ? proxy.requests.map((q) => ({ operation: q.copy ? 'CopyObject' : q.method === 'GET' && !q.list ? 'GetObject' : q.method, key: q.path.split('/').slice(2).join('/') }))
          : parseAccessLog((await readFile(accessLog, 'utf8')).slice(before))
        const gets = log.filter((r) => r.operation === 'GetObject')
        assert.deepEqual(gets.filter((r) => r.key.endsWith('.zip')), [], 'no GET of a zip')
        assert.equal(gets.filter((r) => r.key.endsWith('.zip.CHECKSUM')).length, 500, 'one GET per sidecar')
        assert.equal(log.filter((r) => r.operation === 'CopyObject').length, 1000)
      }
      const lake = server.client()
      const beforeVerify = await snapshot(lake, 'lake')
      const verify = await runCli(['verify', 'many'], { env: env(), cwd: dir })
      assert.equal(verify.code, 0, verify.stdout + verify.stderr)
      assert.deepEqual([...(await snapshot(lake, 'lake'))], [...beforeVerify], 'verify changes nothing at the destination')
      lake.destroy()
      assert.match(verify.stdout, /checked 1,000 objects: 500 match their sidecar, 0 failed a check, 0 missing, 0 differ/)
      assert.doesNotMatch(verify.stdout, /read to hash/, 'every digest came from the server, no zip was read')
    })

    test('lakesync verify finds a destination zip that no longer matches (exit 3)', async () => {
      const client = server.client()
      const key = 'raw/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-02.zip'
      await client.send(new DeleteObjectCommand({ Bucket: 'lake', Key: key }))
      await put(client, 'lake', key, Buffer.from('PK tampered'))
      client.destroy()
      const r = await runCli(['verify', 'klines'], { env: env(), cwd: dir })
      assert.equal(r.code, 3, r.stdout + r.stderr)
      assert.match(r.stdout, new RegExp(`FAILED "${key}" \\(ChecksumMismatch, by lakesync:checksums\\): SHA-256 mismatch: the sidecar says [0-9a-f]{64}, the copy has [0-9a-f]{64}; left in place`))
      const head = server.client()
      assert.equal((await head.send(new HeadObjectCommand({ Bucket: 'lake', Key: key }))).ContentLength, 11, 'an audit quarantines nothing')
      head.destroy()
    })

    test("lakesync verify runs the config's own verifyCopy checks, read-only, and names the plugin that failed an object", async () => {
      await writeFile(path.join(dir, 'audit.config.ts'), CONFIG.replace(
        "plugins: [checksums({ quarantine: 'quarantine/' })],",
        `plugins: [checksums(), { name: 'no-january-7th', verifyCopy: (copy, ctx) => !ctx.readOnly ? undefined
          : copy.key.includes('2024-01-07') ? { fail: { code: 'Embargoed', error: 'January 7th may not be mirrored', details: { day: '2024-01-07' } } }
          : { note: 'not embargoed', counted: 'cleared by the embargo check' } }],`,
      ))
      const r = await runCli(['verify', '--json', '--config', 'audit.config.ts', 'klines'], { env: env(), cwd: dir })
      assert.equal(r.code, 3, r.stdout + r.stderr)
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l))
      const failed = lines.filter((l) => l.status === 'failed' && l.code === 'Embargoed')
      // 2 symbols x 2 intervals on that day, a zip and a sidecar each.
      assert.equal(failed.length, 8, r.stdout)
      assert.deepEqual(Object.keys(failed[0]).sort(), ['code', 'day', 'error', 'job', 'key', 'plugin', 'status'])
      assert.equal(failed[0].plugin, 'no-january-7th')
      const summary = lines.find((l) => l.status === 'summary')
      assert.ok(summary.counted['cleared by the embargo check'] > 100, JSON.stringify(summary))
    })

    test("a backfill takes its copies from the series in turn; order: 'key' copies series by series; both mirror the same keys", async () => {
      const series = (key: string) => key.split('/').slice(4, 6).join('/')
      const copiedKeys = (stdout: string) => of(stdout, 'item').filter((e) => e.action === 'copied').map((e) => e.key)
      // A plan that is only printed keeps key order, spread or not.
      const printed = await runCli(['plan', '--json', 'spread'], { env: env(), cwd: dir })
      const printedKeys = of(printed.stdout, 'item').map((e) => e.key)
      // 2 symbols × 2 intervals × 10 days, zips and sidecars, and the stray README.txt in BTCUSDT/1m/.
      assert.equal(printedKeys.length, 81)
      assert.deepEqual(printedKeys, [...printedKeys].sort(), 'lakesync plan lists in key order')
      // One copy at a time: the item events come in the order the copies were sent.
      const spread = await sync('spread', '--concurrency', '1')
      assert.equal(spread.code, 0, spread.stderr)
      const spreadKeys = copiedKeys(spread.stdout)
      assert.equal(new Set(spreadKeys.slice(0, 4).map(series)).size, 4, `the first four copies come from the four series: ${spreadKeys.slice(0, 4).join(', ')}`)
      const keyed = await sync('keyorder', '--concurrency', '1')
      assert.equal(keyed.code, 0, keyed.stderr)
      const keyedKeys = copiedKeys(keyed.stdout)
      assert.equal(new Set(keyedKeys.slice(0, 4).map(series)).size, 1, `key order: one series first: ${keyedKeys.slice(0, 4).join(', ')}`)
      assert.deepEqual([...keyedKeys].sort(), [...spreadKeys].sort())
      const lake = server.client()
      // A snapshot's keys are relative to its prefix.
      assert.deepEqual([...(await snapshot(lake, 'lake', 'keyorder/'))], [...(await snapshot(lake, 'lake', 'spread/'))])
      lake.destroy()
    })

    test('impossible selectors are config errors that name the rule (exit 2)', async () => {
      const bad = await mkdtemp(path.join(tmpdir(), 'lakesync-badsel-'))
      await writeFile(path.join(bad, 'lakesync.config.ts'), `import { defineConfig, binance } from 'lakesync'
export default defineConfig({ jobs: {
  a: { source: binance.archive({ market: 'futures/um', frequency: 'daily', dataType: 'fundingRate', symbols: ['BTCUSDT'] }), destination: 's3://lake/a/' },
  b: { source: binance.archive({ market: 'futures/um', frequency: 'daily', dataType: 'klines', symbols: ['BTCUSDT'], intervals: ['1s', '1M'] }), destination: 's3://lake/b/' },
  c: { source: binance.archive({ market: 'spot', frequency: 'daily', dataType: 'aggTrades', symbols: ['BTCUSDT'], intervals: ['1m'], from: '2024-13-01' }), destination: 's3://lake/c/' },
} })
`)
      const r = await runCli(['plan'], { cwd: bad })
      assert.equal(r.code, 2)
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('lakesync: '))
      assert.deepEqual(lines, [
        'lakesync: lakesync.config.ts: jobs.a.source.frequency: fundingRate on futures/um is monthly only, not daily',
        "lakesync: lakesync.config.ts: jobs.b.source.intervals: 1s klines exist for spot only, not futures/um",
        "lakesync: lakesync.config.ts: jobs.b.source.intervals: the monthly interval's folder is '1mo', not '1M'",
        'lakesync: lakesync.config.ts: jobs.c.source.intervals: only kline types (klines, indexPriceKlines, markPriceKlines, premiumIndexKlines) have intervals; remove it for aggTrades',
        `lakesync: lakesync.config.ts: jobs.c.source.from: expected an ISO date (2024-01-31), 'today', 'yesterday' or a relative '-30d', got "2024-13-01"`,
      ])
    })
  })
}
