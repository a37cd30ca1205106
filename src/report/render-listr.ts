import { Listr } from 'listr2'
import type { ResolvedJob } from '../api/config.ts'
import type { JobSummary, LakesyncEvent } from '../api/events.ts'
import { bytes, int, progressLine, shardText, summaryLines } from './format.ts'

type Listen = (listener: (e: LakesyncEvent) => void) => () => void

/** Redraws at most this often: a title change per copied object would cost more than the copy. */
const REFRESH_MS = 100

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
        const state = { title: job.name, planned: 0, copied: 0, failed: 0, skipped: 0, batches: new Map<number, string>(), progress: '' }
        let planTask: any
        let copyTask: any
        const draw = () => {
          task.title = state.title
          if (planTask) planTask.title = `plan: ${int(state.planned)} planned · ${int(state.skipped)} unchanged`
          if (copyTask) {
            copyTask.title = state.progress ? `copy: ${state.progress}` : `copy: ${int(state.copied)} copied, ${int(state.failed)} failed`
            copyTask.output = [...state.batches.values()].slice(-8).join('\n')
          }
        }
        const timer = setInterval(draw, REFRESH_MS)
        let finish: () => void
        const finished = new Promise<void>((r) => (finish = r))
        const stop = listen((e) => {
          if (!('job' in e) || e.job !== job.name) return
          switch (e.type) {
            case 'job-start': state.title = `${job.name}: ${e.source} → ${e.destination}${shardText(e.shard)}`; break
            case 'decision': state.title += `  [${e.mode}, ${e.engine}]`; break
            case 'item':
              state.planned++
              if (e.action === 'skipped') state.skipped++
              else if (e.action === 'copied') state.copied++
              else if (e.action === 'failed') state.failed++
              break
            case 'progress': state.progress = progressLine(e); break
            case 'batch-start': state.batches.set(e.batch, `batch ${e.batch}: copying via ${e.engine} …`); break
            case 'batch-end': state.batches.set(e.batch, `batch ${e.batch}: ✔ ${int(e.copied)} copied, ${bytes(e.bytes)}${e.failed ? `, ✖ ${int(e.failed)} failed` : ''}`); break
            case 'job-end': {
              const [head, ...rest] = summaryLines(e)
              state.title = head!
              task.output = rest.join('\n')
              break
            }
          }
        })
        const done = () => (clearInterval(timer), stop(), draw(), finish())
        const running = run(job).then((s) => (summaries.push(s), done()), (error) => (done(), Promise.reject(error)))
        return task.newListr(
          [
            { title: 'plan', task: async (_c: unknown, t: any) => { planTask = t; await finished } },
            { title: 'copy', task: async (_c: unknown, t: any) => { copyTask = t; await running }, rendererOptions: { persistentOutput: true } },
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
