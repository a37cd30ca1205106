import { ExitCode, InterruptedError } from '../../errors.ts'
import { findS5cmd } from '../../engines/find-s5cmd.ts'
import { runJob } from '../../run/job-runner.ts'
import { jsonRenderer, plainRenderer } from '../../run/render-plain.ts'
import type { JobSummary, LakesyncEvent } from '../../run/events.ts'
import { out } from '../../util/redact.ts'
import { gapLines } from '../../run/format.ts'
import { selectJobs, type SelectionOptions } from '../select-jobs.ts'

export interface SyncOptions extends SelectionOptions {
  dryRun?: boolean
  json?: boolean
  verbose?: boolean
  /** `plan`: list every planned item. */
  listItems?: boolean
  signal: AbortSignal
}

/** `lakesync sync` and `lakesync plan` (a dry run that lists items): returns the exit code. */
export async function sync(o: SyncOptions): Promise<number> {
  const { config, plugins } = await selectJobs(o)
  const s5cmd = await findS5cmd(config.s5cmd)
  const listeners = new Set<(e: LakesyncEvent) => void>()
  const useListr = !o.json && process.stdout.isTTY && !o.listItems && !process.env.CI
  if (o.json) listeners.add(jsonRenderer(out.line))
  else if (!useListr) listeners.add(plainRenderer(out.line, { verbose: o.verbose, listItems: o.listItems }))
  const emit = async (e: LakesyncEvent) => {
    for (const l of listeners) l(e)
    await plugins.notify('onEvent', e)
  }
  const run = (job: (typeof config.jobs)[number]) =>
    runJob(job, { dryRun: Boolean(o.dryRun), signal: o.signal, plugins, s5cmd, emit, tempDir: process.env.LAKESYNC_TMPDIR }).catch((error) => {
      throw o.signal.aborted ? new InterruptedError() : error
    })

  let summaries: JobSummary[]
  if (useListr) {
    // The tree shows counts; failed keys are listed under it.
    const failures: string[] = []
    listeners.add((e) => void (e.type === 'item' && e.action === 'failed' && failures.push(`${e.job}: FAILED ${JSON.stringify(e.key)}: ${e.error}`)))
    const gapReports: string[] = []
    listeners.add((e) => void (e.type === 'gaps' && gapReports.push(...gapLines(e))))
    const { runWithListr } = await import('../../run/render-listr.ts')
    summaries = await runWithListr(config.jobs, run, (l) => (listeners.add(l), () => listeners.delete(l)))
    for (const l of gapReports) out.line(l)
    for (const f of failures.slice(0, 20)) out.line(f)
    if (failures.length > 20) out.line(`… and ${failures.length - 20} more; --json lists every one`)
  } else {
    summaries = []
    for (const job of config.jobs) summaries.push(await run(job))
  }
  if (o.signal.aborted) return ExitCode.interrupted
  if (summaries.some((s) => s.mismatches > 0)) return ExitCode.verifyMismatch
  return summaries.some((s) => s.failed > 0 || s.deleteLimitReached) ? ExitCode.itemsFailed : ExitCode.ok
}
