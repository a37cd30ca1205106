import { Listr } from 'listr2'
import type { ResolvedJob } from '../api/config.ts'
import type { EventOf, JobSummary, LakesyncEvent } from '../api/events.ts'
import { bytes, int, progressLine, shardText, summaryLines } from './format.ts'

type Listen = (listener: (e: LakesyncEvent) => void) => () => void

/** Redraws at most this often: a title change per copied object would cost more than the copy. */
const REFRESH_MS = 100

/**
 * A listr2 task tree for a terminal: job → its stages, each a task with live counts that ends
 * when its stage does: list (source keys listed), plan (copies and unchanged keys decided: it
 * runs with the listing), copy (the progress line; with the s5cmd engine its batches as lines),
 * verify (copies checked). The tasks only display what the run's events say; the run itself
 * happens in `run`.
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
        const state = { title: job.name, progress: undefined as EventOf<'progress'> | undefined, planned: 0, copied: 0, failed: 0, skipped: 0, batches: new Map<number, string>() }
        const stages: Record<'list' | 'plan' | 'copy' | 'verify', any> = { list: undefined, plan: undefined, copy: undefined, verify: undefined }
        const draw = () => {
          task.title = state.title
          const p = state.progress
          if (stages.list) stages.list.title = `list: ${int(p?.listed ?? state.planned)} source keys listed${p?.listingDone ? '' : ' …'}`
          if (stages.plan) stages.plan.title = `plan: ${int(p?.toCopy ?? state.planned - state.skipped)} to copy · ${int(p?.skipped ?? state.skipped)} unchanged`
          if (stages.copy) {
            stages.copy.title = p ? `copy: ${progressLine(p)}` : `copy: ${int(state.copied)} copied, ${int(state.failed)} failed`
            stages.copy.output = [...state.batches.values()].slice(-8).join('\n')
          }
          if (stages.verify) stages.verify.title = `verify: ${int(p?.copied ?? state.copied)} checked, ${int(p?.failed ?? state.failed)} failed`
        }
        const timer = setInterval(draw, REFRESH_MS)
        const listed = signal()
        const ended = signal()
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
            case 'progress':
              state.progress = e
              if (e.listingDone) listed.fire()
              break
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
        const done = () => (clearInterval(timer), stop(), draw(), listed.fire(), ended.fire())
        const running = run(job).then((s) => (summaries.push(s), done()), (error) => (done(), Promise.reject(error)))
        // A stage's task: shown from the start, ended when its stage is (the copy's carries the run's error).
        const stage = (name: keyof typeof stages, until: Promise<unknown>, options: object = {}) => ({ title: name, task: async (_c: unknown, t: any) => { stages[name] = t; await until }, ...options })
        return task.newListr(
          [stage('list', listed.fired), stage('plan', listed.fired), stage('copy', running, { rendererOptions: { persistentOutput: true } }), stage('verify', ended.fired)],
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

/** A one-time signal: `fired` resolves once `fire` is called (again is nothing). */
function signal(): { fired: Promise<void>; fire: () => void } {
  let fire!: () => void
  const fired = new Promise<void>((r) => (fire = r))
  return { fired, fire }
}
