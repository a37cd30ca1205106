import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startS3Server, serverKinds, type S3TestServer } from '../helpers/s3-server.ts'
import { awkwardKeys } from '../helpers/keys.ts'
import { generatedKlines, putAll } from '../../scripts/lib/seed.ts'
import { selectJobs } from '../../src/cli/select-jobs.ts'
import { planJob } from '../../src/plan/plan-job.ts'
import { SdkTransport } from '../../src/storage/sdk-transport.ts'
import type { PlanItem } from '../../src/api/items.ts'

const COUNTS = [1, 2, 3, 7, 16]
const ARCHIVE = 'data.binance.vision'

const CONFIG = `import { defineConfig, binance } from 'lakesync'

export default defineConfig({
  connections: { local: { endpoint: process.env.E } },
  jobs: {
    prefix: { source: 's3://archive/data/', destination: 's3://lake/mirror/', connection: 'local', delete: true, listConcurrency: 4 },
    sequential: { source: 's3://archive/data/', destination: 's3://lake/mirror/', connection: 'local', listConcurrency: 1 },
    klines: {
      source: binance.archive({ market: 'spot', frequency: 'daily', dataType: 'klines', bucket: '${ARCHIVE}', connection: 'local', symbols: '*', intervals: ['1m', '1h', '1d'], from: '2024-01-01', to: '2024-01-05' }),
      destination: 's3://lake/raw/',
      connection: 'local',
    },
  },
})
`

const line = (i: PlanItem) => `${i.action} ${i.reason} ${JSON.stringify(i.key)} -> ${JSON.stringify(i.destKey)}`

// The property the scheduler relies on: N workers that each plan their shard alone plan, together,
// exactly what one unsharded run plans, and no key twice.
for (const kind of serverKinds()) {
  describe(`shards on ${kind}: the union of the N shard plans is the whole plan, with no key in two shards`, { concurrency: false }, () => {
    let server: S3TestServer
    let dir: string
    const saved = { ...process.env }

    before(async () => {
      server = await startS3Server(kind, { buckets: ['archive', 'lake', ARCHIVE] })
      const client = server.client()
      const body = (k: string) => new TextEncoder().encode(`bytes of ${k}`)
      // Folders of unequal size, loose keys at the top, a deep folder, and the hostile keys.
      const keys = [
        ...Array.from({ length: 12 }, (_, f) => Array.from({ length: 3 + f * 4 }, (_, i) => `data/folder-${String.fromCharCode(97 + f)}/${i}.zip`)).flat(),
        ...Array.from({ length: 15 }, (_, i) => `data/loose ${i}+%#?.zip`),
        'data/deep/a/b/c/d/e/f.zip',
        ...awkwardKeys().map((k) => `data/${k}`),
      ]
      await putAll(client, 'archive', keys.map((key) => ({ key, body: body(key) })))
      // The destination: some keys already there (same bytes, other bytes), some only there (for --delete).
      await putAll(client, 'lake', [
        ...keys.filter((_, i) => i % 3 === 0).map((k) => ({ key: k.replace(/^data\//, 'mirror/'), body: body(k) })),
        ...keys.filter((_, i) => i % 7 === 1).map((k) => ({ key: k.replace(/^data\//, 'mirror/'), body: new TextEncoder().encode('stale') })),
        ...['mirror/folder-c/gone.zip', 'mirror/zz-only-here.zip', 'mirror/ünïcødé gone.zip', 'mirror/0-first.zip'].map((key) => ({ key, body: body(key) })),
      ])
      await putAll(client, ARCHIVE, generatedKlines({ symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BNBUSDT', 'XRPUSDT', 'ADAUSDT', 'DOGEUSDT'], intervals: ['1m', '1h', '1d'], days: 5 }))
      client.destroy()
      dir = await mkdtemp(path.join(tmpdir(), 'lakesync-shard-'))
      await writeFile(path.join(dir, 'lakesync.config.ts'), CONFIG)
      Object.assign(process.env, server.env, { E: server.endpoint })
    })
    after(async () => {
      process.env = saved
      await server?.stop()
      if (dir) await rm(dir, { recursive: true, force: true })
    })

    const plan = async (job: string, shard?: string) => {
      const { config } = await selectJobs({ config: path.join(dir, 'lakesync.config.ts'), command: 'plan', jobs: [job], ...(shard ? { shard } : {}) })
      const resolved = config.jobs[0]!
      const clients = { source: SdkTransport.open(resolved.source.connection), dest: SdkTransport.open(resolved.destination.connection) }
      try {
        const lines: string[] = []
        for await (const item of planJob(resolved, clients, { signal: new AbortController().signal, extras: resolved.delete }).items) lines.push(line(item))
        return lines
      } finally {
        clients.source.destroy()
        clients.dest.destroy()
      }
    }

    for (const job of ['prefix', 'sequential', 'klines']) {
      test(`${job}: N = ${COUNTS.join(', ')}`, async () => {
        const whole = await plan(job)
        assert.ok(whole.length > 100, `a plan worth splitting: ${whole.length} items`)
        if (job === 'prefix') {
          assert.ok(whole.some((l) => l.startsWith('delete ')) && whole.some((l) => l.startsWith('skip ')) && whole.some((l) => l.startsWith('copy ')), 'copies, skips and deletions all take part')
          assert.ok(awkwardKeys().every((k) => whole.some((l) => l.includes(JSON.stringify(`data/${k}`)))), 'every hostile key is planned')
        }
        for (const count of COUNTS) {
          const parts = await Promise.all(Array.from({ length: count }, (_, k) => plan(job, `${k}/${count}`)))
          const union = parts.flat()
          assert.equal(new Set(union).size, union.length, `N=${count}: no item in two shards`)
          assert.deepEqual([...union].sort(), [...whole].sort(), `N=${count}: the shards together plan exactly the whole job`)
          if (count > 1 && job !== 'sequential') assert.ok(parts.filter((p) => p.length).length >= Math.min(count, 3), `N=${count}: the work is spread (${parts.map((p) => p.length).join(', ')})`)
        }
      })
    }
  })
}
