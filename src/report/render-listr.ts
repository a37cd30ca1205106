import { Listr } from 'listr2'
import type { ResolvedJob } from '../api/config.ts'
import type { EventOf, JobSummary, LakesyncEvent } from '../api/events.ts'
import { batchResult, int, progressLine, shardText, summaryLines } from './format.ts'

type Listen = (listener: (e: LakesyncEvent) => void) => () => void

/** Redraws at most this often: a title change per copied object would cost more than the copy. */
const REFRESH_MS = 100

/** Batches shown as tasks of their own (a backfill can run thousands); later ones are lines under the copy task. */
const BATCH_TASKS = 40

/**
 * A listr2 task tree for a terminal: job → its stages, each a task with live counts that ends
 * when its stage does: list (source keys listed), plan (copies and unchanged keys decided: it
 * runs with the listing), copy (the progress line; with the s5cmd engine each batch a subtask
 * with its objects, rate and result), verify (copies checked). The tasks only display what the
 * run's events say; the run itself happens in `run`.
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
        const view = new JobView(job.name, task)
        const timer = setInterval(() => view.draw(), REFRESH_MS)
        const stop = listen((e) => 'job' in e && e.job === job.name && view.on(e))
        const done = () => (clearInterval(timer), stop(), view.end())
        const running = run(job).then((s) => (summaries.push(s), done()), (error) => (done(), Promise.reject(error)))
        // A stage's task: shown from the start, ended when its stage is.
        const stage = (name: Stage, until: Promise<unknown>) => ({ title: name, task: async (_c: unknown, t: any) => { view.stages[name] = t; await until } })
        // The copy's task holds the run (it fails with the run's error) beside its chain of batches.
        const copy = { title: 'copy', task: (_c: unknown, t: any) => ((view.stages.copy = t), t.newListr([{ task: () => running }, view.batchTasks.chain()], { concurrent: true, exitOnError: true })), rendererOptions: { persistentOutput: true } }
        return task.newListr([stage('list', view.listed.fired), stage('plan', view.listed.fired), copy, stage('verify', view.ended.fired)], { concurrent: true, exitOnError: true })
      },
      rendererOptions: { persistentOutput: true },
    })),
    { concurrent: false, exitOnError: false, rendererOptions: { collapseSubtasks: false } },
  )
  await list.run()
  if (list.errors.length) throw list.errors[0]!.error ?? list.errors[0]
  return summaries
}

type Stage = 'list' | 'plan' | 'copy' | 'verify'

/** One job's part of the tree: what its events said so far, drawn into its task and its stages' tasks. */
class JobView {
  private title: string
  private progress: EventOf<'progress'> | undefined
  private planned = 0
  private copied = 0
  private failed = 0
  private skipped = 0
  private listingDone = false
  private readonly batches = new Map<number, string>()
  readonly batchTasks = new BatchTasks()
  readonly stages: Record<Stage, any> = { list: undefined, plan: undefined, copy: undefined, verify: undefined }
  readonly listed = signal()
  readonly ended = signal()

  constructor(job: string, private readonly task: any) {
    this.title = job
  }

  on(e: LakesyncEvent): void {
    switch (e.type) {
      case 'job-start': this.title = `${e.job}: ${e.source} → ${e.destination}${shardText(e.shard)}`; break
      case 'decision': this.title += `  [${e.mode}, ${e.engine}]`; break
      case 'item':
        this.planned++
        if (e.action === 'skipped') this.skipped++
        else if (e.action === 'copied') this.copied++
        else if (e.action === 'failed') this.failed++
        break
      case 'progress':
        this.progress = e
        if (e.listingDone) (this.listingDone = true, this.listed.fire())
        break
      case 'batch-start':
        this.batches.set(e.batch, `batch ${e.batch}: copying via ${e.engine} …`)
        this.batchTasks.started(e.batch)
        break
      case 'batch-end':
        this.batches.set(e.batch, `batch ${e.batch}: ${batchResult(e)}`)
        this.batchTasks.ended(e.batch)
        break
      case 'job-end': {
        // The stages end with the final counts, not the last progress line's.
        this.progress = undefined
        this.listingDone = true
        const [head, ...rest] = summaryLines(e)
        this.title = head!
        this.task.output = rest.join('\n')
        break
      }
    }
  }

  draw(): void {
    const { stages, progress: p } = this
    this.task.title = this.title
    if (stages.list) stages.list.title = `list: ${int(p?.listed ?? this.planned)} source keys listed${this.listingDone ? '' : ' …'}`
    if (stages.plan) stages.plan.title = `plan: ${int(p?.toCopy ?? this.planned - this.skipped)} to copy · ${int(p?.skipped ?? this.skipped)} unchanged`
    if (stages.copy) {
      stages.copy.title = p ? `copy: ${progressLine(p)}` : `copy: ${int(this.copied)} copied, ${int(this.failed)} failed`
      // Batches past those with tasks of their own: the latest as lines under the copy task.
      stages.copy.output = [...this.batches].filter(([no]) => !this.batchTasks.shows(no)).map(([, line]) => line).slice(-8).join('\n')
    }
    this.batchTasks.draw((no) => this.batches.get(no))
    if (stages.verify) stages.verify.title = `verify: ${int(p?.copied ?? this.copied)} checked, ${int(p?.failed ?? this.failed)} failed`
  }

  /** The run ended: the last drawing, and every stage's task ends. */
  end(): void {
    this.draw()
    this.listed.fire()
    this.ended.fire()
    this.batchTasks.close()
  }
}

/**
 * The batches as subtasks of the copy task. listr2 runs only the tasks a list holds when it
 * starts (a task added later is drawn, never run), and a batch is known only once it starts,
 * so they form a chain: an untitled task waits for the next batch, then holds a list of that
 * batch's task and the next link. listr2 draws an untitled task's subtasks at its own level, so
 * the chain shows as a flat list of batches.
 */
class BatchTasks {
  private readonly tasks = new Map<number, { task?: any; end: ReturnType<typeof signal> }>()
  private readonly waiting: number[] = []
  private wake: (() => void) | undefined
  private closed = false

  /** Whether this batch has a task of its own (else it is a line under the copy task). */
  shows(no: number): boolean {
    return this.tasks.has(no)
  }

  started(no: number) {
    if (this.tasks.size >= BATCH_TASKS) return
    this.tasks.set(no, { end: signal() })
    this.waiting.push(no)
    this.wake?.()
  }

  ended(no: number) {
    this.tasks.get(no)?.end.fire()
  }

  /** The run ended: every batch task ends, and so does the chain. */
  close() {
    this.closed = true
    for (const t of this.tasks.values()) t.end.fire()
    this.wake?.()
  }

  draw(line: (no: number) => string | undefined) {
    for (const [no, t] of this.tasks) if (t.task) t.task.title = line(no) ?? `batch ${no}`
  }

  /** The chain's next link: waits for a batch to start (or the run to end). */
  chain(): object {
    return {
      task: async (_c: unknown, t: any) => {
        while (!this.waiting.length && !this.closed) await new Promise<void>((r) => (this.wake = r))
        const no = this.waiting.shift()
        if (no === undefined) return
        const batch = { title: `batch ${no}`, task: async (_b: unknown, bt: any) => ((this.tasks.get(no)!.task = bt), await this.tasks.get(no)!.end.fired) }
        return t.newListr([batch, this.chain()], { concurrent: true, exitOnError: true })
      },
    }
  }
}

/** A one-time signal: `fired` resolves once `fire` is called (again is nothing). */
function signal(): { fired: Promise<void>; fire: () => void } {
  let fire!: () => void
  const fired = new Promise<void>((r) => (fire = r))
  return { fired, fire }
}
