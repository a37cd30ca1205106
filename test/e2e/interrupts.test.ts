// Interrupts end a run promptly wherever they land: during the listing, mid-copy with the listing
// done, during verification, mid-multipart and during checksum reads, on the lean, s5cmd and
// traditional engines. Each run exits within 5 s of the signal with 128 + its number, prints a
// summary whose copies the destination holds, writes `run-end`, releases its lock, and the next
// run leaves no multipart upload open. A double Ctrl-C the same, minus the summary.
import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3'
import { startFaultProxy, type ProxiedRequest } from '../helpers/fault-proxy.ts'
import { runCli, suiteStateDir } from '../helpers/cli.ts'
import { putLarge } from '../helpers/big-object.ts'
import { heldLocks } from '../helpers/locks.ts'
import { readJournal } from '../helpers/journal.ts'
import { klinesBed } from '../helpers/klines-bed.ts'

const EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const
type Signal = keyof typeof EXIT

const MB = 1024 * 1024
const multipart = ['--multipart-threshold', String(10 * MB), '--part-size', String(5 * MB), '--part-concurrency', '1']
const isPart = (r: ProxiedRequest) => r.method === 'PUT' && r.query.has('partNumber')

interface Case {
  name: string
  from: string
  args: string[]
  signal: Signal
  /** Requests held at the proxy this long, so the signal lands at the point named. */
  delay: (r: ProxiedRequest) => number
  /** Sent when this holds of the requests seen so far. */
  when: (seen: ProxiedRequest[]) => boolean
  /** A double Ctrl-C: the second once the run, stopping, waits on a Pushgateway that never answers. */
  twice?: true
}

const lists = (seen: ProxiedRequest[]) => seen.filter((r) => r.list && r.path.startsWith('/src-bucket')).length
const copies = (seen: ProxiedRequest[]) => seen.filter((r) => r.copy || (r.method === 'PUT' && !r.list)).length
// 600 keys in one page: every copy is sent (up to the rate) while the copies run, with the listing done.
const ONE_PAGE = 'data/spot/daily/klines/BTCUSDT/1m/'
// The source's 1,200 keys list in two pages (of 1,000): the second waits at the proxy.
const slowSecondPage = (r: ProxiedRequest) => (r.list && r.path.startsWith('/src-bucket') && r.query.has('continuation-token') ? 3000 : 0)

const CASES: Case[] = [
  { name: 'lean, during the listing', from: 'data/', args: ['--engine', 'lean', '--concurrency', '8'], signal: 'SIGINT', delay: slowSecondPage, when: (s) => lists(s) >= 2 },
  { name: 'lean, mid-copy with the listing done', from: ONE_PAGE, args: ['--engine', 'lean', '--concurrency', '1024', '--max-rps', '150'], signal: 'SIGTERM', delay: () => 0, when: (s) => copies(s) >= 200 },
  { name: 'lean, during checksum reads', from: 'data/', args: ['--engine', 'lean', '--verify', 'checksum', '--concurrency', '16'], signal: 'SIGHUP', delay: (r) => (r.method === 'GET' && r.path.endsWith('.CHECKSUM') && !r.list ? 2000 : 0), when: (s) => s.some((r) => r.method === 'GET' && r.path.endsWith('.CHECKSUM')) },
  { name: 'lean, mid-multipart (UploadPartCopy)', from: 'huge/', args: ['--engine', 'lean', ...multipart], signal: 'SIGINT', delay: (r) => (isPart(r) ? 1500 : 0), when: (s) => s.filter(isPart).length >= 2 },
  { name: 's5cmd, during the listing', from: 'data/', args: ['--engine', 's5cmd', '--concurrency', '8'], signal: 'SIGTERM', delay: slowSecondPage, when: (s) => lists(s) >= 2 },
  { name: 's5cmd, mid-copy with the listing done', from: 'data/', args: ['--engine', 's5cmd', '--concurrency', '8'], signal: 'SIGHUP', delay: (r) => (r.copy ? 40 : 0), when: (s) => lists(s) >= 2 && copies(s) >= 200 },
  { name: 's5cmd, during verification', from: 'data/', args: ['--engine', 's5cmd', '--concurrency', '32'], signal: 'SIGINT', delay: (r) => (r.list && r.path.startsWith('/dst-bucket') ? 3000 : 0), when: (s) => s.some((r) => r.list && r.path.startsWith('/dst-bucket')) },
  { name: 'traditional stream, mid-copy', from: 'data/', args: ['--mode', 'traditional', '--concurrency', '8'], signal: 'SIGTERM', delay: (r) => (r.method === 'GET' && !r.list ? 30 : 0), when: (s) => copies(s) >= 100 },
  { name: 'traditional stream, mid-multipart (UploadPart)', from: 'huge/', args: ['--mode', 'traditional', ...multipart], signal: 'SIGHUP', delay: (r) => (isPart(r) ? 1500 : 0), when: (s) => s.filter(isPart).length >= 2 },
  { name: 'traditional staged, during the listing', from: 'data/', args: ['--mode', 'traditional', '--traditional', 'staged', '--concurrency', '8'], signal: 'SIGINT', delay: slowSecondPage, when: (s) => lists(s) >= 2 },
  { name: 'lean, mid-copy, the run then stuck pushing its metrics', from: ONE_PAGE, args: ['--engine', 'lean', '--concurrency', '1024', '--max-rps', '150'], signal: 'SIGINT', twice: true, delay: () => 0, when: (s) => copies(s) >= 200 },
]

describe('interrupts end the run promptly, at any point', { concurrency: false }, () => {
  // 300 days of 1m and 1h klines: 1,200 keys (zips and sidecars), two listing pages; and one large object.
  const bed = klinesBed('interrupts', 300)
  before(async () => {
    const client = bed.server.client()
    await putLarge(client, 'src-bucket', 'huge/30mb.bin', 30 * MB)
    client.destroy()
  })

  CASES.forEach((c, i) => {
    test(`${c.signal}${c.twice ? ' twice' : ''}: ${c.name}`, { timeout: 120_000 }, async () => {
      const proxy = await startFaultProxy(bed.server.port, { delayMs: (r) => c.delay(r) })
      const silent = c.twice ? await silentServer() : undefined
      const state = await suiteStateDir(`interrupts-${i}`)
      const to = `case-${i}/`
      const args = ['sync', '--from', `s3://src-bucket/${c.from}`, '--to', `s3://dst-bucket/${to}`, '--endpoint', proxy.endpoint, ...c.args, ...(silent ? ['--pushgateway', silent.url] : [])]
      const env = { ...bed.server.env, LAKESYNC_STATE_DIR: state }
      try {
        const againWhen = c.twice ? (stdout: string) => /bytes through this host/.test(stdout) : undefined
        const r = await runCli(args, { env, pathWithTools: true, signal: c.signal, againWhen, signalWhen: async () => c.when(proxy.requests) })
        assert.ok(r.signalledAt, `the run ended before the signal point: ${r.stdout}${r.stderr}`)
        assert.equal(r.code, EXIT[c.signal], r.stdout + r.stderr)
        const took = r.closedAt - r.signalledAt
        assert.ok(took < 5000, `exited ${Math.round(took)} ms after the signal (at most 5,000)`)
        const journal = await readJournal(state)
        assert.deepEqual(journal.filter((l) => l.type === 'run-end').map((l) => l.exitCode), [EXIT[c.signal]], 'run-end written, with the exit code')
        // What the journal and the summary call copied is at the destination.
        const copied = journal.filter((l) => l.type === 'item' && l.action === 'copied').map((l) => l.destKey as string)
        const client = bed.server.client()
        for (const key of copied) await client.send(new HeadObjectCommand({ Bucket: 'dst-bucket', Key: key }))
        if (c.twice) assert.match(r.stderr, /second SIGINT: stopping at once/)
        {
          const head = /INTERRUPTED: copied (\d+)/.exec(r.stdout)
          assert.ok(head, `a summary: ${r.stdout}`)
          assert.equal(Number(head[1]), copied.length, 'the summary counts what the journal lists')
          assert.match(r.stdout.trim().split('\n').at(-1)!, /bytes through this host: /, 'the summary ends the output')
        }
        assert.deepEqual(await heldLocks(state), [], 'the lock is released')
        // The next run finishes the job and leaves no multipart upload open.
        const again = await runCli(args.filter((a) => a !== silent?.url && a !== '--pushgateway').map((a) => (a === proxy.endpoint ? bed.server.endpoint : a)), { env, pathWithTools: true })
        assert.equal(again.code, 0, again.stdout + again.stderr)
        const open = (await client.send(new ListMultipartUploadsCommand({ Bucket: 'dst-bucket', Prefix: to }))).Uploads ?? []
        assert.deepEqual(open.map((u) => u.Key), [], 'no multipart upload left open')
        client.destroy()
      } finally {
        await proxy.close()
        silent?.close()
      }
    })
  })
})

/** A server that accepts connections and never answers. */
async function silentServer() {
  const sockets = new Set<Socket>()
  const server = createServer((s) => void sockets.add(s))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => (sockets.forEach((s) => s.destroy()), server.close()) }
}
