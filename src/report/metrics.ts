import { rename, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Gauge, Pushgateway, Registry } from 'prom-client'
import type { JobSummary } from '../api/events.ts'
import { makeDir } from '../util/make-dir.ts'
import { stateDir } from '../state/journal.ts'
import { maskUrlSecrets } from '../util/redact.ts'

/**
 * --metrics-file and --pushgateway: the run's metrics, also for a run that failed (its exit code
 * says so). A metrics target that fails costs a warning, never the run's outcome.
 */
export async function publishRunMetrics(
  to: { metricsFile?: string; pushgateway?: string },
  run: { jobs: string[]; summaries: readonly JobSummary[]; exitCode: number },
  warn: (message: string) => void,
) {
  if (!to.metricsFile && !to.pushgateway) return
  const finishedAt = new Date()
  const lastSuccess = await updateLastSuccess(path.join(stateDir(), 'last-success.json'), run.jobs, run.summaries, finishedAt).catch(() => ({}))
  const registry = runRegistry({ summaries: run.summaries, exitCode: run.exitCode, finishedAt, lastSuccess })
  const failed = (what: string) => (error: unknown) => warn(`${what} (${(error as Error).message}); the run's outcome is unchanged`)
  if (to.metricsFile) await writeMetricsFile(to.metricsFile, registry).catch(failed(`could not write the metrics file ${to.metricsFile}`))
  if (to.pushgateway) await pushMetrics(to.pushgateway, registry).catch(failed(`could not push metrics to ${maskUrlSecrets(to.pushgateway)}`))
}

/** What a run leaves for monitoring: each job's summary, the exit code, and when each job last succeeded. */
export interface RunOutcome {
  summaries: readonly JobSummary[]
  exitCode: number
  finishedAt: Date
  /** Job name → Unix seconds of its last successful run (this run's included). */
  lastSuccess: Record<string, number>
}

/**
 * The run's metrics in Prometheus' model. They describe the last run, so they are gauges (a
 * textfile collector reads a new file each run); `lakesync_job` names the job (Prometheus keeps
 * `job` for the scrape job).
 */
export function runRegistry(run: RunOutcome): Registry {
  const registry = new Registry()
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] })
  const objects = gauge('lakesync_run_objects', 'Objects of the last run by action: copied (and verified), skipped, failed, deleted.', ['lakesync_job', 'action'])
  const reasons = gauge('lakesync_run_object_reasons', 'Objects of the last run by the reason they were copied or skipped.', ['lakesync_job', 'reason'])
  const bytes = gauge('lakesync_run_copied_bytes', 'Bytes copied by the last run.', ['lakesync_job'])
  const through = gauge('lakesync_run_through_host_bytes', 'Object bytes that passed through this host in the last run (traditional copies).', ['lakesync_job'])
  const requests = gauge('lakesync_run_requests', 'S3 requests of the last run by operation.', ['lakesync_job', 'operation'])
  const mismatches = gauge('lakesync_run_checksum_mismatches', 'Copies of the last run whose SHA-256 did not match their .CHECKSUM sidecar.', ['lakesync_job'])
  const gaps = gauge('lakesync_run_gap_files', 'Binance sources: files the selection expects, missing at the source, and stray keys.', ['lakesync_job', 'kind'])
  const limit = gauge('lakesync_run_concurrency_limit', 'Jobs with adaptive concurrency: copies in flight allowed at the end of the last run, and at its peak.', ['lakesync_job', 'at'])
  const throttled = gauge('lakesync_run_throttled_requests', 'Requests of the last run answered 503 SlowDown (each attempt; retried after a backoff).', ['lakesync_job'])
  const duration = gauge('lakesync_run_duration_seconds', 'How long the last run of the job took.', ['lakesync_job'])
  const success = gauge('lakesync_last_success_timestamp_seconds', 'When the job last ran without a failure (Unix time).', ['lakesync_job'])
  gauge('lakesync_run_exit_code', 'Exit code of the last run (0 ok, 1 items failed, 2 config, 3 checksum mismatch, 4 preflight, 5 locked).').set(run.exitCode)
  gauge('lakesync_run_finished_timestamp_seconds', 'When the last run ended (Unix time).').set(run.finishedAt.getTime() / 1000)
  for (const s of run.summaries) {
    const job = { lakesync_job: s.job }
    for (const action of ['copied', 'skipped', 'failed', 'deleted'] as const) objects.set({ ...job, action }, s[action])
    for (const [reason, n] of Object.entries(s.reasons)) reasons.set({ ...job, reason }, n)
    bytes.set(job, s.bytesCopied)
    through.set(job, s.bytesThroughHost)
    for (const [operation, n] of Object.entries(s.requests)) requests.set({ ...job, operation }, n)
    mismatches.set(job, s.mismatches)
    if (s.gaps) for (const kind of ['expected', 'missing', 'stray'] as const) gaps.set({ ...job, kind }, s.gaps[kind])
    duration.set(job, s.seconds)
    throttled.set(job, s.throttled ?? 0)
    if (s.adaptive) (limit.set({ ...job, at: 'end' }, s.adaptive.limit), limit.set({ ...job, at: 'peak' }, s.adaptive.peak))
  }
  for (const [name, at] of Object.entries(run.lastSuccess)) success.set({ lakesync_job: name }, at)
  return registry
}

/** A job's run succeeded when nothing failed, mismatched, was cut short or hit the delete limit. */
export const succeeded = (s: JobSummary) => s.failed === 0 && s.mismatches === 0 && !s.interrupted && !s.stopped && !s.deleteLimitReached

/** Written whole, then renamed over the old file: a collector never reads half a file. */
async function writeMetricsFile(file: string, registry: Registry) {
  await makeDir(path.dirname(path.resolve(file)))
  const temp = `${file}.${process.pid}.tmp`
  await writeFile(temp, await registry.metrics())
  // A rename that fails (the name is a folder, say) leaves no temp file behind.
  await rename(temp, file).catch(async (error) => {
    await rm(temp, { force: true })
    throw error
  })
}

async function pushMetrics(url: string, registry: Registry) {
  await new Pushgateway(url, { timeout: 10_000 }, registry).pushAdd({ jobName: 'lakesync' })
}

/** Last-success times per job, kept in the state dir so a failed run's metrics still carry them. */
async function updateLastSuccess(file: string, jobs: readonly string[], summaries: readonly JobSummary[], at: Date): Promise<Record<string, number>> {
  let known: Record<string, number> = {}
  try {
    known = JSON.parse(await readFile(file, 'utf8'))
  } catch {
    // none yet, or unreadable: start over
  }
  for (const s of summaries) if (succeeded(s)) known[s.job] = Math.floor(at.getTime() / 1000)
  await makeDir(path.dirname(file))
  await writeFile(file, JSON.stringify(known))
  return Object.fromEntries(jobs.filter((j) => known[j] !== undefined).map((j) => [j, known[j]!]))
}
