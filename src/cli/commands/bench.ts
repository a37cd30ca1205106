import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ConfigError, ExitCode } from '../../api/errors.ts'
import { placeBuckets } from '../../route/bucket-regions.ts'
import { findS5cmd } from '../../engines/find-s5cmd.ts'
import { resolveConfig } from '../../config/resolve.ts'
import { PluginContainer } from '../../plugins/container.ts'
import { startVersitygw, type LocalServer } from '../../bench/local-server.ts'
import { runBench, seedBenchSample } from '../../bench/run-bench.ts'
import { benchTable } from '../../bench/format.ts'
import { out, registerSecret } from '../../util/redact.ts'
import { benchReport } from '../../../plugins/index.ts'
import { selectJobs, withDefaultPlugins, type SelectionOptions } from '../select-jobs.ts'

export interface BenchOptions extends SelectionOptions {
  local?: boolean
  out?: string
  rounds?: number
  objects?: number
  size?: string
  latency?: number
  bandwidth?: number
  signal: AbortSignal
}

/** "5MB", "512KiB", "1000" → bytes. */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?$/i.exec(text.trim())
  if (!m) return undefined
  const unit = (m[2] ?? 'B').toLowerCase()
  const mult: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 }
  return Math.round(Number(m[1]) * mult[unit]!)
}

/**
 * `lakesync bench`: one sample through every mode (and peers where installed), interleaved,
 * on a job's buckets or on a local server (--local); writes report.json/.md/.svg to --out.
 */
export async function bench(o: BenchOptions): Promise<number> {
  const rounds = o.rounds ?? 3
  const problems: string[] = []
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50) problems.push(`--rounds: expected a whole number from 1 to 50, got ${o.rounds}`)
  const size = parseSize(o.size ?? '1MB')
  if (size === undefined || size < 1 || size > 5 * 1024 ** 3) problems.push(`--size: expected a size such as 5MB (up to 5GiB), got ${JSON.stringify(o.size)}`)
  const objects = o.objects ?? (o.local ? 100 : 200)
  if (!Number.isInteger(objects) || objects < 1 || objects > 100_000) problems.push(`--objects: expected a whole number from 1 to 100000, got ${o.objects}`)
  if ((o.latency !== undefined || o.bandwidth !== undefined) && !o.local) problems.push('--latency/--bandwidth: a simulated WAN link needs --local')
  if (problems.length) throw new ConfigError(problems)
  const wan = o.latency !== undefined || o.bandwidth !== undefined ? { rttMs: o.latency ?? 20, mbits: o.bandwidth ?? 200 } : undefined

  let server: LocalServer | undefined
  const work = await mkdtemp(path.join(tmpdir(), 'lakesync-bench-'))
  try {
    let job
    let plugins: PluginContainer
    const versions: Record<string, string> = {}
    if (o.local) {
      server = await startVersitygw(undefined, { accessLog: path.join(work, 'access.log'), wan })
      registerSecret(server.credentials.secretAccessKey)
      await server.createBuckets('bench-archive', 'bench-lake')
      out.err(`bench: seeding ${objects} objects of ${size} bytes on ${server.endpoint}${wan ? ` (WAN ${wan.rttMs} ms, ${wan.mbits} Mbit/s)` : ''}`)
      const prefix = await seedBenchSample(server.client, 'bench-archive', objects, size!)
      const config = resolveConfig({
        connections: { local: { endpoint: server.endpoint, credentials: server.credentials } },
        jobs: { bench: { source: `s3://bench-archive/${prefix}`, destination: 's3://bench-lake/', connection: 'local', ...(o.concurrency ? { concurrency: o.concurrency } : {}) } },
      })
      job = config.jobs[0]!
      plugins = new PluginContainer(withDefaultPlugins([benchReport()]))
      versions.versitygw = 'v1.8.0'
    } else {
      const selected = await selectJobs(o)
      if (selected.config.jobs.length !== 1) throw new ConfigError([`bench runs one job; name it (jobs: ${selected.config.jobs.map((j) => j.name).join(', ')})`])
      job = (await placeBuckets(selected.config.jobs[0]!, o.signal)).job
      plugins = selected.plugins.plugins.some((p) => p.name === 'lakesync:bench-report') ? selected.plugins : new PluginContainer([...selected.plugins.plugins, benchReport()])
    }
    const found = await findS5cmd(undefined, process.env, { use: true })
    const s5cmd = found && !found.unusable ? found : undefined
    if (found?.unusable) out.err(`bench: the binary's own s5cmd is unusable (${found.unusable}); its modes are left out`)
    if (s5cmd?.version) versions.s5cmd = s5cmd.version
    const report = await runBench({
      job, objects, rounds, plugins, s5cmd, signal: o.signal, wan, versions,
      command: `lakesync ${process.argv.slice(2).join(' ')}`,
      accessLog: server?.accessLog,
      onProgress: (line) => out.err(`bench: ${line}`),
    })
    await plugins.notify('onEvent', { type: 'bench-end', report, out: o.out })
    for (const line of benchTable(report)) out.line(line)
    out.line('')
    for (const v of report.verdicts) out.line(v)
    if (o.out) out.line(`\nreport: ${path.join(o.out, 'report.md')}, report.json, report.svg`)
    return o.signal.aborted ? ExitCode.interrupted : report.modes.some((m) => m.failures) ? ExitCode.itemsFailed : ExitCode.ok
  } finally {
    await server?.stop()
    await rm(work, { recursive: true, force: true })
  }
}
