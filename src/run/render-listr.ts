import { Listr } from 'listr2'
import type { ResolvedJob } from '../config/types.ts'
import type { JobSummary, LakesyncEvent } from './events.ts'
import { bytes, int, summaryLines } from './format.ts'

type Listen = (listener: (e: LakesyncEvent) => void) => () => void

/**
 * A listr2 task tree for a terminal: job → plan → copy (one line per batch). The tasks only
 * display what the run's events say; the run itself happens in `run`.
 */
export async function runWithListr(
  jobs: readonly ResolvedJob[],
  run: (job: ResolvedJob) => Promise<JobSummary>,
  listen: Listen,
): Promise<JobSummary[]> {
  const summaries: JobSummary[] = []
  const list = new Listr(
    jobs.map((job) => ({
      title: job.name,
      task: (_: unknown, task: any) => {
        let planDone: () => void
        const planFinished = new Promise<void>((r) => (planDone = r))
        let finished: () => void
        const copyFinished = new Promise<void>((r) => (finished = r))
        const state = { listed: 0, skipped: 0, copied: 0, failed: 0, batches: new Map<number, string>() }
        let planTask: any, copyTask: any
        const stop = listen((e) => {
          if (!('job' in e) || e.job !== job.name) return
          if (e.type === 'job-start') task.title = `${job.name}: ${e.source} → ${e.destination}`
          if (e.type === 'decision') task.title += `  [${e.mode}, ${e.engine}]`
          if (e.type === 'item') {
            state.listed++
            if (e.action === 'skipped') state.skipped++
            else if (e.action === 'copied') state.copied++
            else if (e.action === 'failed') state.failed++
          }
          if (e.type === 'batch-start') state.batches.set(e.batch, `batch ${e.batch}: copying via ${e.engine} …`)
          if (e.type === 'batch-end') state.batches.set(e.batch, `batch ${e.batch}: ✔ ${int(e.copied)} copied, ${bytes(e.bytes)}${e.failed ? `, ✖ ${int(e.failed)} failed` : ''}`)
          if (planTask) planTask.title = `plan: ${int(state.listed)} planned · ${int(state.copied + state.failed)} copies done · ${int(state.skipped)} unchanged`
          if (copyTask) copyTask.output = [...state.batches.values()].slice(-8).join('\n')
          if (copyTask) copyTask.title = `copy: ${int(state.copied)} copied, ${int(state.failed)} failed`
          if (e.type === 'job-end') {
            planDone()
            task.output = summaryLines(e).slice(1).join('\n')
            finished()
          }
        })
        const running = run(job).then((s) => { summaries.push(s); planDone(); finished() }, (err) => { planDone(); finished(); throw err }).finally(stop)
        return task.newListr(
          [
            { title: 'plan', task: async (_c: unknown, t: any) => { planTask = t; await planFinished } },
            { title: 'copy', task: async (_c: unknown, t: any) => { copyTask = t; await copyFinished; await running }, rendererOptions: { persistentOutput: true } },
          ],
          { concurrent: true, exitOnError: true },
        )
      },
      rendererOptions: { persistentOutput: true },
    })),
    { concurrent: false, exitOnError: false, rendererOptions: { collapseSubtasks: false } },
  )
  await list.run()
  if (list.errors.length) throw list.errors[0]!.error ?? list.errors[0]
  return summaries
}
