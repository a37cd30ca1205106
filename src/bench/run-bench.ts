import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { randomBytes } from 'node:crypto'
import { cpus, release, totalmem, type } from 'node:os'
import type { ResolvedJob } from '../api/config.ts'
import type { PluginContainer } from '../plugins/container.ts'
import type { S5cmdLocation } from '../engines/find-s5cmd.ts'
import { transportsFor } from '../storage/job-transports.ts'
import type { S3Transport } from '../api/transport.ts'
import { listObjects, type ListedObject } from '../list/list.ts'
import { forEachPool } from '../util/pool.ts'
import { VERSION } from '../api/version.ts'
import { countAccessLog, median, rssSampler } from './measure.ts'
import { lakesyncModes, peerModes, type BenchMode } from './modes.ts'
import type { BenchReport, ModeResult } from '../api/bench-report.ts'
import { verdicts } from './verdicts.ts'
import { readFile, stat } from 'node:fs/promises'

export interface BenchRun {
  job: ResolvedJob
  objects: number
  rounds: number
  plugins: PluginContainer
  s5cmd?: S5cmdLocation
  signal: AbortSignal
  command: string
  accessLog?: string
  wan?: { rttMs: number; mbits: number }
  versions: Record<string, string>
  onProgress(line: string): void
}

/**
 * Runs every mode on one sample, interleaved round by round (A B C, B C A, ...), each run into
 * a fresh destination prefix that is deleted afterwards, and gathers the figures.
 */
export async function runBench(b: BenchRun): Promise<BenchReport> {
  const { job } = b
  const transports = transportsFor(job.source.connection, job.destination.connection)
  const { source, dest } = transports
  const root = `${job.destination.prefix}lakesync-bench/${new Date().toISOString().replace(/[:.]/g, '-')}/`
  try {
    const sample: ListedObject[] = []
    let wholePrefix = true
    for await (const o of listObjects(source, job.source.bucket, job.source.prefix, { signal: b.signal })) {
      if (sample.length === b.objects) { wholePrefix = false; break }
      sample.push(o)
    }
    if (!sample.length) throw new Error(`the source s3://${job.source.bucket}/${job.source.prefix} is empty: nothing to benchmark`)
    const ctx = { job: { ...job, include: [], exclude: [] }, sample, wholePrefix, plugins: b.plugins, s5cmd: b.s5cmd, signal: b.signal }
    const modes: BenchMode[] = [...lakesyncModes(ctx), ...(await peerModes(ctx))]
    const runs = new Map(modes.map((m) => [m.name, [] as { seconds: number; rss: number; requests: Record<string, number>; server?: Record<string, number>; through?: number; disk: number; failures: number }[]]))
    for (let round = 0; round < b.rounds && !b.signal.aborted; round++) {
      for (let i = 0; i < modes.length && !b.signal.aborted; i++) {
        const mode = modes[(i + round) % modes.length]!
        const logStart = b.accessLog ? (await stat(b.accessLog).catch(() => ({ size: 0 }))).size : 0
        const sampler = rssSampler()
        const t = performance.now()
        const fig = await mode.run(`${root}r${round + 1}/${slug(mode.name)}/`)
        const seconds = (performance.now() - t) / 1000
        const rss = await sampler.stop()
        const server = b.accessLog ? countAccessLog((await readFile(b.accessLog)).subarray(logStart).toString('utf8')) : undefined
        runs.get(mode.name)!.push({ seconds, rss, requests: fig.requests, server, through: fig.bytesThroughHost, disk: fig.peakDiskBytes, failures: fig.failures })
        b.onProgress(`round ${round + 1}/${b.rounds}: ${mode.name}: ${seconds.toFixed(2)} s${fig.failures ? `, ${fig.failures} failed` : ''}`)
      }
    }
    const bytes = sample.reduce((a, o) => a + o.size, 0)
    const results: ModeResult[] = modes.map((m) => summarize(m.name, runs.get(m.name)!, sample.length, bytes))
    const report: BenchReport = {
      createdAt: new Date().toISOString(),
      command: b.command,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), os: `${type()} ${release()}`, node: process.version },
      versions: { lakesync: VERSION, ...b.versions },
      parameters: {
        objects: sample.length, bytesPerObject: Math.round(bytes / sample.length), totalBytes: bytes, rounds: b.rounds, concurrency: job.concurrency,
        ...(b.wan ? { wan: b.wan } : {}),
        source: `s3://${job.source.bucket}/${job.source.prefix}`, destination: `s3://${job.destination.bucket}/${root}`,
      },
      modes: results,
      verdicts: [],
    }
    report.verdicts = verdicts(report)
    return report
  } finally {
    await deletePrefix(dest, job.destination.bucket, root).catch(() => {})
    transports.destroy()
  }
}

function summarize(mode: string, runs: { seconds: number; rss: number; requests: Record<string, number>; server?: Record<string, number>; through?: number; disk: number; failures: number }[], objects: number, bytes: number): ModeResult {
  const secs = runs.map((r) => r.seconds)
  const perRound = (pick: (r: (typeof runs)[number]) => Record<string, number> | undefined) => {
    const total: Record<string, number> = {}
    for (const r of runs) for (const [k, v] of Object.entries(pick(r) ?? {})) total[k] = (total[k] ?? 0) + v / runs.length
    return Object.fromEntries(Object.entries(total).map(([k, v]) => [k, Math.round(v * 10) / 10]))
  }
  const requests = perRound((r) => r.requests)
  const serverRequests = runs[0]?.server ? perRound((r) => r.server) : undefined
  // Peers count nothing themselves: the server's log is their count.
  const counted = Object.keys(requests).length ? requests : serverRequests ?? {}
  const m = median(secs)
  return {
    mode, seconds: secs, medianSeconds: m, minSeconds: Math.min(...secs), maxSeconds: Math.max(...secs),
    objectsPerSecond: objects / m, megabytesPerSecond: bytes / 1e6 / m,
    requests: counted, ...(serverRequests ? { serverRequests } : {}),
    requestsPerObject: Object.values(counted).reduce((a, b) => a + b, 0) / objects,
    ...(runs.every((r) => r.through !== undefined) ? { bytesThroughHost: median(runs.map((r) => r.through!)) } : {}),
    peakDiskBytes: Math.max(...runs.map((r) => r.disk)), peakRssBytes: Math.max(...runs.map((r) => r.rss)),
    failures: runs.reduce((a, r) => a + r.failures, 0),
  }
}

const slug = (s: string) => s.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase()

/** Removes a prefix's objects, 1,000 per DeleteObjects request. */
export async function deletePrefix(transport: S3Transport, bucket: string, prefix: string): Promise<void> {
  let batch: string[] = []
  const flush = async () => {
    if (batch.length) await transport.deleteObjects(bucket, batch)
    batch = []
  }
  for await (const o of listObjects(transport, bucket, prefix)) {
    batch.push(o.key)
    if (batch.length === 1000) await flush()
  }
  await flush()
}

/** A Binance-layout sample of `objects` zips of `size` bytes for `--local`. */
export async function seedBenchSample(client: S3Client, bucket: string, objects: number, size: number): Promise<string> {
  const prefix = 'data/spot/daily/klines/'
  const block = randomBytes(Math.min(size, 1024 * 1024))
  const keys = Array.from({ length: objects }, (_, i) => {
    const sym = `SYM${i % 10}USDT`
    const date = new Date(Date.UTC(2024, 0, 1) + Math.floor(i / 10) * 86_400_000).toISOString().slice(0, 10)
    return `${prefix}${sym}/1m/${sym}-1m-${date}.zip`
  })
  await forEachPool(keys, 8, async (key) => {
    const body = Buffer.alloc(size)
    for (let o = 0; o < size; o += block.length) block.copy(body, o)
    body.write(key, 0) // distinct bytes per object
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))
  })
  return prefix
}
