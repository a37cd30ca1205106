// Archive scale: a windowed Binance run lists each series from its window on both sides, so a
// daily run's listing requests do not grow with the archive's history (counted at a proxy).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startS3Server, serverKinds, type S3TestServer } from '../helpers/s3-server.ts'
import { startFaultProxy } from '../helpers/fault-proxy.ts'
import { runCli } from '../helpers/cli.ts'
import { snapshot } from '../helpers/buckets.ts'
import { generatedKlines, putAll } from '../../scripts/lib/seed.ts'

const SERIES = [['BTCUSDT', '1h'], ['BTCUSDT', '1m'], ['ETHUSDT', '1h'], ['ETHUSDT', '1m']]
const job = (name: string, to: string, extra = '') => `
    ${name}: {
      source: binance.archive({ market: 'spot', frequency: 'daily', dataType: 'klines', symbols: ['BTCUSDT', 'ETHUSDT'], intervals: ['1m', '1h'], from: '2024-02-20', to: '${to}', bucket: 'archive', connection: 'local' }),
      destination: 's3://lake/${name}/', connection: 'local', ${extra}
    },`
const config = (to: string) => `import { defineConfig, binance } from 'lakesync'
export default defineConfig({
  connections: { local: { endpoint: process.env.E } },
  jobs: {${job('mirror', to)}${job('hive', to, 'keyMap: binance.hiveKeys(),')}${job('serial', to, 'listConcurrency: 1,')}
  },
})
`

for (const kind of serverKinds()) {
  describe(`windowed Binance listing on ${kind}`, { concurrency: false }, () => {
    let server: S3TestServer
    let proxy: Awaited<ReturnType<typeof startFaultProxy>>
    let dir: string
    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'lakesync-scale-'))
      server = await startS3Server(kind, { buckets: ['archive', 'lake'] })
      proxy = await startFaultProxy(server.port, {})
      const client = server.client()
      // 60 days of history (2024-01-01 … 2024-02-29) per series; the window is the last ten.
      await putAll(client, 'archive', generatedKlines({ symbols: ['BTCUSDT', 'ETHUSDT'], intervals: ['1m', '1h'], days: 60 }))
      client.destroy()
    })
    after(async () => {
      await proxy?.close()
      await server?.stop()
      if (dir) await rm(dir, { recursive: true, force: true })
    })
    const sync = async (to: string, jobs: string[]) => {
      await writeFile(path.join(dir, 'lakesync.config.ts'), config(to))
      proxy.requests.length = 0
      const r = await runCli(['sync', '--json', ...jobs], { env: { ...server.env, E: proxy.endpoint }, cwd: dir })
      assert.equal(r.code, 0, r.stdout + r.stderr)
      const lists = (bucket: string) => proxy.requests.filter((q) => q.list && q.path.replace(/\/$/, '') === `/${bucket}`)
      // The size check of a window of copies lists the destination too (under the job's prefix, not a series').
      const sizeChecks = lists('lake').filter((q) => /^\w+\/$/.test(q.query.get('prefix') ?? ''))
      return { r, sourceLists: lists('archive'), destLists: lists('lake').filter((q) => !sizeChecks.includes(q)), sizeChecks }
    }

    test('each series is listed from its window on both sides: one request per series and side, only window keys copied', async () => {
      const { sourceLists, destLists } = await sync('2024-02-28', ['mirror'])
      const client = server.client()
      const mirrored = [...(await snapshot(client, 'lake', 'mirror/')).keys()]
      client.destroy()
      const expected = SERIES.flatMap(([s, i]) => Array.from({ length: 9 }, (_, d) => `${s}-${i}-2024-02-${20 + d}.zip`)).flatMap((f) => [f, `${f}.CHECKSUM`])
      assert.deepEqual(mirrored.map((k) => k.split('/').at(-1)).sort(), expected.sort())
      assert.equal(sourceLists.length, 4, 'one page per series: the 40 days before the window are never listed: ' + JSON.stringify(sourceLists.map((q) => q.query.toString())))
      assert.ok(sourceLists.every((q) => /-2024-02-20$/.test(q.query.get('start-after') ?? '')), JSON.stringify(sourceLists.map((q) => q.query.toString())))
      assert.equal(destLists.length, 4, JSON.stringify(destLists.map((q) => q.query.toString())))
      assert.ok(destLists.every((q) => q.query.get('start-after')?.startsWith('mirror/data/spot/daily/klines/')))
    })

    test('the daily increment: a new day copies its files only; a serial listing (listConcurrency: 1) plans the same', async () => {
      // The day before, mirrored here too (a no-op after the test above): this test stands alone.
      await sync('2024-02-28', ['mirror'])
      const { r, sourceLists, destLists } = await sync('2024-02-29', ['mirror', 'serial'])
      const copied = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'item' && e.action === 'copied')
      const names = (jobName: string) => copied.filter((e) => e.job === jobName).map((e) => e.key.split('/').at(-1)).sort()
      assert.equal(names('mirror').length, 8)
      assert.ok(names('mirror').every((n: string) => n.includes('2024-02-29')))
      assert.equal(names('serial').length, 80, 'the serial job copies its whole window')
      assert.equal(sourceLists.length, 8)
      assert.equal(destLists.length, 8)
    })

    test('binance.hiveKeys(): the destination is listed over each series window only, and a re-run copies nothing', async () => {
      const first = await sync('2024-02-29', ['hive'])
      assert.ok(first.r.stdout.includes('"action":"copied"'))
      const { r, destLists } = await sync('2024-02-29', ['hive'])
      assert.doesNotMatch(r.stdout, /"action":"copied"/)
      assert.equal(destLists.length, 4, JSON.stringify(destLists.map((q) => q.query.toString())))
      assert.ok(destLists.every((q) => /^hive\/market=spot\/type=klines\/symbol=\w+\/interval=\w+\/date=2024-02-2/.test(q.query.get('prefix') ?? '')), JSON.stringify(destLists.map((q) => q.query.toString())))
    })
  })
}
