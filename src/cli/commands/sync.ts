import { setMaxListeners } from 'node:events'
import { printableKey } from '../../util/printable.ts'
import { ConfigError, ExitCode, InterruptedError, LakesyncError } from '../../api/errors.ts'
import { findS5cmd } from '../../engines/find-s5cmd.ts'
import { loadPrices } from '../../batch-ops/route-costs.ts'
import { runJob } from '../../run/job-runner.ts'
import { jsonRenderer, plainRenderer } from '../../report/render-plain.ts'
import { gapLines } from '../../report/format.ts'
import { Journal } from '../../state/journal.ts'
import { pruneRuns } from '../../state/prune.ts'
import { DEFAULTS } from '../../config/resolve.ts'
import type { ResolvedJob } from '../../api/config.ts'
import type { JobSummary, LakesyncEvent } from '../../api/events.ts'
import { maskUrlSecrets, out } from '../../util/redact.ts'
import { selectJobs, type Selection, type SelectionOptions } from '../select-jobs.ts'
import { lockJobs } from '../../state/job-lock.ts'
import { atHardStop, interruptExitCode } from '../interrupts.ts'

export interface SyncOptions extends SelectionOptions {
  dryRun?: boolean
  json?: boolean
  verbose?: boolean
  /** `plan`: list every planned item. */
  listItems?: boolean
  /** --metrics-file: the run's metrics in Prometheus' text format, for node_exporter's textfile collector. */
  metricsFile?: string
  /** --pushgateway: push the run's metrics to this Prometheus Pushgateway. */
  pushgateway?: string
  /** --wait-lock: seconds to wait for a running run of a job to end (default: exit 5 at once). */
  waitLock?: number
  /** --prices: a JSON price table for the cost line of plans and dry runs (default: S3 list prices; LAKESYNC_PRICES). */
  prices?: string
  signal: AbortSignal
}

type Listener = (e: LakesyncEvent) => void

/** `lakesync sync` and `lakesync plan` (a dry run that lists items): returns the exit code. */
export async function sync(o: SyncOptions): Promise<number> {
  if (o.waitLock !== undefined && !(Number.isFinite(o.waitLock) && o.waitLock >= 0)) throw new ConfigError([`--wait-lock: expected seconds to wait, 0 or more, got ${o.waitLock}`])
  if (o.pushgateway !== undefined) checkPushgateway(o.pushgateway)
  const selection = await selectJobs(o)
  // One real run per job at a time; plans and dry runs change nothing and take no lock.
  const warn = (m: string) => out.err(`lakesync: warning: ${m}`)
  // A run whose lock another run took over (it had stopped refreshing it) stops like an interrupted one.
  const stop = new AbortController()
  setMaxListeners(0, stop.signal) // every request in flight listens on it
  const follow = () => stop.abort()
  o.signal.addEventListener('abort', follow, { once: true })
  let lost: string | undefined
  const onLost = (message: string) => ((lost ??= message), warn(message), stop.abort())
  const locks = o.dryRun ? undefined : await lockJobs(selection.config.jobs, { waitSeconds: o.waitLock, warn, onLost })
  const unregister = locks ? atHardStop(() => locks.releaseNow()) : undefined
  const ended: JobSummary[] = []
  let code: number = ExitCode.itemsFailed
  try {
    code = await syncSelected(selection, { ...o, signal: stop.signal }, ended)
    if (lost) throw new LakesyncError(lost, ExitCode.locked, 'two runs of one job overlapped: keep --wait-lock and LAKESYNC_LOCK_LEASE_SECONDS above the longest pause of a run (a suspended host, say)')
    return code
  } catch (error) {
    code = error instanceof LakesyncError ? error.exitCode : o.signal.aborted ? interruptExitCode() : ExitCode.itemsFailed
    throw error
  } finally {
    o.signal.removeEventListener('abort', follow)
    // prom-client loads only for a run that publishes metrics (~10 ms of every start otherwise).
    if (!o.dryRun && (o.metricsFile || o.pushgateway)) {
      const { publishRunMetrics } = await import('../../report/metrics.ts')
      await publishRunMetrics(o, { jobs: selection.config.jobs.map((j) => j.name), summaries: ended, exitCode: code }, warn)
    }
    await locks?.release()
    unregister?.()
  }
}

/** --pushgateway takes an http(s) URL: anything else would be read as a host name (and port 80). */
function checkPushgateway(url: string) {
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {
    // said below
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol) || !parsed.hostname) {
    throw new ConfigError([`--pushgateway: expected an http(s) URL such as http://pushgateway:9091/, got ${JSON.stringify(maskUrlSecrets(url))}`])
  }
}

async function syncSelected({ config, plugins }: Selection, o: SyncOptions, ended: JobSummary[]): Promise<number> {
  // Only a job that copies with s5cmd makes the binary write out (and hash) its own copy.
  const s5cmd = await findS5cmd(config.s5cmd, process.env, { use: config.jobs.some((j) => j.engine === 's5cmd') })
  if (s5cmd?.replaced) out.err(`lakesync: warning: the cached s5cmd failed its SHA-256 check and was written again (${s5cmd.path})`)
  const listeners = new Set<Listener>()
  const useListr = !o.json && process.stdout.isTTY && !o.listItems && !process.env.CI
  if (o.json) listeners.add(jsonRenderer(out.line))
  else if (!useListr) listeners.add(plainRenderer(out.line, { verbose: o.verbose, listItems: o.listItems }))
  // Real runs leave an audit record; plans and dry runs change nothing, so they record nothing.
  const opened = o.dryRun ? undefined : await Journal.open(`lakesync ${process.argv.slice(2).join(' ')}`, config.jobs)
  const journal = opened instanceof Journal ? opened : undefined
  const unregister = journal ? atHardStop(() => journal.closeNow(o.signal.aborted ? interruptExitCode() : ExitCode.itemsFailed)) : undefined
  if (opened && !(opened instanceof Journal)) out.err(`lakesync: warning: no run journal (${opened.unavailable}): this run copies, but \`lakesync runs\` will not list it; set LAKESYNC_STATE_DIR to a writable folder`)
  // Old journals are pruned while the run starts, so a big state dir never delays the exit.
  const pruned = journal ? pruneJournals(config.jobs) : undefined
  const emit = async (e: LakesyncEvent) => {
    if (e.type === 'job-end') ended.push(e)
    journal?.record(e)
    for (const l of listeners) l(e)
    await plugins.notify('onEvent', e)
  }
  const prices = o.dryRun ? await loadPrices(o.prices ?? (process.env.LAKESYNC_PRICES || undefined)) : undefined
  const run = (job: ResolvedJob) =>
    runJob(job, { dryRun: Boolean(o.dryRun), signal: o.signal, plugins, s5cmd, emit, tempDir: process.env.LAKESYNC_TMPDIR, prices }).catch((error) => {
      throw o.signal.aborted ? new InterruptedError(interruptExitCode()) : error
    })
  try {
    const summaries = useListr ? await runWithTree(config.jobs, run, listeners) : await runInTurn(config.jobs, run)
    const code = o.signal.aborted
      ? interruptExitCode()
      : summaries.some((s) => s.mismatches > 0)
        ? ExitCode.verifyMismatch
        : summaries.some((s) => s.failed > 0 || s.deleteLimitReached) ? ExitCode.itemsFailed : ExitCode.ok
    await pruned
    await journal?.close(code)
    return code
  } catch (error) {
    await journal?.close(error instanceof LakesyncError ? error.exitCode : o.signal.aborted ? interruptExitCode() : ExitCode.itemsFailed)
    throw error
  } finally {
    unregister?.()
  }
}

/** Old journals go with each real run: each job keeps its newest `keepRuns`; other jobs' runs in the state dir keep the default. */
async function pruneJournals(jobs: readonly ResolvedJob[]) {
  const keepOf = (name: string) => jobs.find((j) => j.name === name)?.keepRuns ?? DEFAULTS.keepRuns
  await pruneRuns(keepOf).catch((error) => out.err(`lakesync: warning: old run journals were not pruned (${(error as Error).message})`))
}

async function runInTurn(jobs: readonly ResolvedJob[], run: (job: ResolvedJob) => Promise<JobSummary>): Promise<JobSummary[]> {
  const summaries: JobSummary[] = []
  for (const job of jobs) summaries.push(await run(job))
  return summaries
}

/** The listr2 tree shows counts; failed keys and gap reports are listed under it. */
async function runWithTree(jobs: readonly ResolvedJob[], run: (job: ResolvedJob) => Promise<JobSummary>, listeners: Set<Listener>): Promise<JobSummary[]> {
  const failures: string[] = []
  const gapReports: string[] = []
  listeners.add((e) => void (e.type === 'item' && e.action === 'failed' && failures.push(`${e.job}: FAILED ${printableKey(e.key)}: ${e.error}`)))
  listeners.add((e) => void (e.type === 'gaps' && gapReports.push(...gapLines(e))))
  const { runWithListr } = await import('../../report/render-listr.ts')
  const summaries = await runWithListr(jobs, run, (l) => (listeners.add(l), () => listeners.delete(l)))
  for (const l of gapReports) out.line(l)
  for (const f of failures.slice(0, 20)) out.line(f)
  if (failures.length > 20) out.line(`… and ${failures.length - 20} more; --json lists every one`)
  return summaries
}
