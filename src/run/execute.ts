import { EventEmitter, on } from 'node:events'
import type { CopyItem, CopyOutcome, Engine, EngineContext, EngineSession } from '../engines/types.ts'
import type { PlanItem } from '../api/items.ts'
import type { ItemErrorAction } from '../api/config.ts'
import type { Routes } from '../route/mode.ts'
import { watchLiveness } from './liveness.ts'
import { VerifyWindow } from './verify-window.ts'
import { ItemBook } from './item-book.ts'
import { BatchLedger } from './batch-ledger.ts'
import { stallSeconds } from '../util/env.ts'
import { printableKey } from '../util/printable.ts'
import type { ProgressMeter } from './progress.ts'
import { readAhead } from '../util/read-ahead.ts'
import { Escape } from '../util/escape.ts'
import { isOfClass } from '../api/error-classes.ts'
import { LakesyncError, ExitCode } from '../api/errors.ts'

type Skip = Extract<PlanItem, { action: 'skip' }>

/** What a run says as it goes, in order: the stream executePlan yields. */
export type RunEvent =
  /** Planned skips, in plan order, a run of them at a time. */
  | { type: 'skipped'; items: Skip[] }
  | { type: 'batch-started'; batch: number; engine: string }
  /** The final outcome of an item: copied (and verified), or failed for good. */
  | { type: 'outcome'; outcome: CopyOutcome; batch: number | undefined }
  | { type: 'batch-ended'; batch: number }
  /** A line for the run's output: stalls, timeouts being retried. */
  | { type: 'warning'; message: string }
  /** The run was interrupted before this item's outcome was known; `answered`: its copy said OK, unconfirmed. */
  | { type: 'interrupted'; item: CopyItem; answered: boolean }

/** A run's events as they happen; it ends when the run does, by throwing the error that stopped it, if one did. */
export interface RunStream extends AsyncIterable<RunEvent> {
  /** A reader failed: the run stops as on any error (no new copies; what is open is counted) and its stream ends with this error. */
  stop(error: unknown): void
}

/** What executePlan asks of the job: decisions on failures, and the checks of copies. */
export interface ExecuteHandlers {
  /** What to do with a failed copy (plugins decide); `attempt` counts earlier tries. */
  onFailure(outcome: CopyOutcome, attempt: number): Promise<ItemErrorAction>
  /** Checks copied items at the destination; returns them, failed where the check failed. */
  verify?(outcomes: CopyOutcome[]): Promise<CopyOutcome[]>
  /** The copy's answer proved its bytes: checking it lists nothing, so its window need not fill first. */
  provenByAnswer?(outcome: CopyOutcome): boolean
  /** Moved as items are planned, sent and answered (the progress events). */
  progress?: ProgressMeter
}

// Plan items read ahead of the copies: a plan that fits (a daily run) is listed to its end at
// once, so its total and an ETA are known early; a bigger one is held to this many items
// (each keeps a piece of its listing page alive: 50,000 cost ~10 MB more RSS at 50,000 copies).
const PLAN_AHEAD = 10_000

// Skips are reported in runs of up to this many: one link in the report chain per run, not per
// key (a daily run over a big archive is almost all skips).
const SKIP_RUN = 1000

/** Exponential backoff with full jitter; SlowDown asks for a longer pause. */
export function backoffMs(attempt: number, code?: string): number {
  const base = isOfClass('throttled', code) ? 1000 : 100
  return Math.random() * Math.min(20_000, base * 2 ** attempt)
}

/**
 * Streams the plan into the engines while it is being listed, and sees every item to a
 * final outcome: failures are retried, rerouted to a traditional copy, or reported, as the
 * plugins decide; successes are verified in windows before they are reported. Yields what
 * happens as a stream of events (outcomes, batches, skips, warnings) for its readers.
 */
export function executePlan(plan: AsyncIterable<Exclude<PlanItem, { action: 'delete' }>>, routes: Routes, ctx: EngineContext, handlers: ExecuteHandlers): RunStream {
  // node:events' iterator buffers what the reader has not taken yet, and ends after it with the run's error.
  const channel = new EventEmitter()
  const events = on(channel, 'event', { close: ['end'] })
  // A reader that left early no longer hears the run's error: it must not become an uncaught one.
  channel.on('error', () => {})
  const run = new PlanExecution(routes, ctx, handlers, (e) => channel.emit('event', e))
  drive(plan, run, handlers.progress).then(() => channel.emit('end'), (error) => channel.emit('error', error))
  return {
    async *[Symbol.asyncIterator]() {
      for await (const [event] of events) yield event as RunEvent
    },
    stop: (error) => run.stopWith(error),
  }
}

/** The plan into the run, item by item, to its end (or the run's). */
async function drive(plan: AsyncIterable<Exclude<PlanItem, { action: 'delete' }>>, run: PlanExecution, progress: ProgressMeter | undefined): Promise<void> {
  const { ctx } = run
  if (progress) progress.inFlight = () => run.open
  try {
    const planned = readAhead(plan, PLAN_AHEAD, {
      onItem: (item) => progress && (progress.listed++, item.action !== 'skip' && progress.toCopy++),
      onEnd: () => progress && (progress.listingDone = true),
    })
    for await (const item of planned) {
      if (ctx.signal.aborted || run.fatal) break
      if (item.action === 'skip') run.skip(item)
      else await run.start(item)
    }
  } catch (error) {
    // A listing failed mid-run: end the engines' input so no s5cmd waits on stdin, then report.
    await run.abortAfterListingError(error)
    throw error
  }
  await run.finish()
}

/** The error that ends the job when this failure is not the item's own: every other item would fail the same way. */
function jobStopper(o: CopyOutcome): LakesyncError | undefined {
  if (o.stopsJob) return new LakesyncError(o.error ?? 'failed', ExitCode.itemsFailed)
  if (!isOfClass('identityRefused', o.code)) return undefined
  return new LakesyncError(
    `the server refused the job's credentials (${o.code}: ${o.error ?? 'refused'}): the job stops, as every later request would be refused too`,
    ExitCode.itemsFailed, 'renew the credentials (a longer role session, fresh keys), then run again: copies already made are skipped',
  )
}

/** The engine of the job's routes that gave this outcome. */
const engineOf = (routes: Routes, o: CopyOutcome): Engine | undefined => [routes.primary, routes.direct, routes.traditional].find((e) => e?.name === o.engine)

/** Whether the outcome's engine copies server-side (a rescue by the SDK engine is; a traditional copy is not). */
const serverSide = (routes: Routes, o: CopyOutcome) => engineOf(routes, o)?.capabilities.serverSide ?? false

/** The engine an item's retry goes to: direct copies retry with the SDK engine. */
function retryEngine(routes: Routes, o: CopyOutcome): Engine {
  if (serverSide(routes, o)) return routes.direct ?? routes.primary
  return o.engine === routes.traditional?.name ? routes.traditional : routes.primary
}

/** One run of executePlan: the engines' sessions, the open items, the batches and the window of copies to verify. */
class PlanExecution {
  fatal: unknown
  /** Copies started and not yet final. */
  open = 0
  private readonly items = new ItemBook()
  private readonly batches: BatchLedger
  private readonly sessions = new Map<Engine, EngineSession>()
  private batch: { session: EngineSession; no: number; size: number } | undefined
  /** Copies answered OK, waiting for their check (none without verification). */
  private readonly window: VerifyWindow | undefined
  private skips: Skip[] = []
  private planDone = false
  private allDone!: () => void
  private readonly finished = new Promise<void>((r) => (this.allDone = r))
  /** Settles on an interrupt or on the first error that ends the run. */
  private stop!: () => void
  private readonly stopped = new Promise<void>((r) => (this.stop = r))
  // Given up by the liveness guard: engine sessions that never answer are no longer awaited.
  private readonly abandoned = new Escape()
  private readonly guard: { stop(): void }

  constructor(private readonly routes: Routes, readonly ctx: EngineContext, private readonly handlers: ExecuteHandlers, private readonly emit: (event: RunEvent) => void) {
    ctx.signal.addEventListener('abort', () => this.stop(), { once: true })
    const { verify, provenByAnswer } = handlers
    this.window = verify && new VerifyWindow({ check: verify, ...(provenByAnswer ? { provenByAnswer } : {}), checked: (o) => this.final(o), failed: (o) => this.failed(o), aborted: () => ctx.signal.aborted })
    this.batches = new BatchLedger((no) => this.emit({ type: 'batch-ended', batch: no }))
    this.guard = watchLiveness({
      stallMs: stallSeconds() * 1000,
      lastProgress: () => Math.max(this.items.lastOutcome, ctx.counter.lastAnswerAt),
      waiting: () => this.items.waiting(),
      warn: (m) => this.warn(m),
      giveUp: (reason) => {
        this.abandoned.fire()
        this.window?.drop()
        for (const w of [...this.items.waiting()]) this.final({ item: w.item, ok: false, engine: w.engine, error: reason, code: 'Stalled' })
      },
    })
  }

  /** The first error that ends the run: no more items start, and the wait for open ones ends. */
  stopWith(error: unknown) {
    this.fatal ??= error
    this.stop()
  }

  private warn(message: string) {
    this.emit({ type: 'warning', message })
  }

  /** A planned skip: reported with the skips around it, in plan order. */
  skip(item: Skip) {
    if (this.skips.push(item) >= SKIP_RUN) this.reportSkips()
  }

  private reportSkips() {
    if (!this.skips.length) return
    this.emit({ type: 'skipped', items: this.skips })
    this.skips = []
  }

  /** A planned copy: into the current batch of the primary engine, or to the engine that can carry it. */
  async start(item: CopyItem) {
    this.reportSkips()
    this.open++
    const { routes, ctx } = this
    if (!routes.primary.accepts(item, ctx.job)) {
      const engine = routes.direct ?? routes.traditional ?? routes.primary
      return this.submit(this.session(engine), engine.name, item)
    }
    if (!this.batch) {
      const no = this.batches.open()
      this.emit({ type: 'batch-started', batch: no, engine: routes.primary.name })
      const session = routes.primary.capabilities.batchProcess ? routes.primary.open(ctx, (o) => this.onOutcome(o)) : this.session(routes.primary)
      this.batch = { session, no, size: 0 }
    }
    this.batches.add(item, this.batch.no)
    await this.submit(this.batch.session, routes.primary.name, item)
    if (++this.batch.size >= ctx.job.batchSize) {
      // An s5cmd batch ends before the next starts: copies in flight never exceed the job's
      // concurrency, and one s5cmd runs at a time (its drain is ~0.1 s per 10,000 items).
      const full = this.batch
      this.batch = undefined
      await this.closeBatch(full)
    }
  }

  /** The plan is complete: close the last batch, wait for every outcome, end the sessions. */
  async finish() {
    this.reportSkips()
    const lastBatch = this.batch && this.closeBatch(this.batch)
    this.planDone = true
    this.settle()
    await lastBatch
    // An interrupt or an error ends the wait: the items still open are counted below, not waited for.
    if (!this.ctx.signal.aborted && !this.fatal) await this.orAbandoned(Promise.race([this.finished, this.stopped]))
    // Interrupted, or stopped by an error: what is still open has no known outcome.
    if (this.ctx.signal.aborted || this.fatal) this.countInterrupted()
    for (const s of this.sessions.values()) await this.orAbandoned(s.close())
    this.guard.stop()
    if (this.fatal) throw this.fatal
  }

  /** A listing failed mid-run: no new work; the copies in flight end, those answered are checked, and what is left is unknown. */
  async abortAfterListingError(error: unknown) {
    this.stopWith(error)
    this.reportSkips()
    this.guard.stop()
    const open = new Set([...(this.batch ? [this.batch.session] : []), ...this.sessions.values()])
    await this.orAbandoned(Promise.allSettled([...open].map((s) => s.close())))
    if (!this.ctx.signal.aborted) await this.orAbandoned(this.window?.flush())
    this.countInterrupted()
  }

  private orAbandoned(p: Promise<unknown> | undefined) {
    return this.abandoned.race(p)
  }

  private session(engine: Engine): EngineSession {
    let s = this.sessions.get(engine)
    if (!s) this.sessions.set(engine, (s = engine.open(this.ctx, (o) => this.onOutcome(o))))
    return s
  }

  private submit(session: EngineSession, engine: string, item: CopyItem) {
    this.items.submitted(item, engine)
    return this.orAbandoned(session.submit(item))
  }

  /** No more items join the batch; it ends once they settle. An s5cmd batch's session ends with it, a shared session carries on. */
  private async closeBatch(b: { session: EngineSession; no: number }) {
    if (this.routes.primary.capabilities.batchProcess) await this.orAbandoned(b.session.close())
    this.batches.close(b.no)
  }

  /** The final outcome of an item, once: reported, and counted off its batch. */
  private final(o: CopyOutcome) {
    const note = this.items.note(o.item)
    if (!this.items.close(o.item)) return
    const batch = this.batches.batchOfItem(o.item)
    const final = note && o.ok ? { ...o, note } : o
    this.emit({ type: 'outcome', outcome: final, batch })
    this.batches.settled(o.item)
    this.open--
    this.settle()
  }

  private settle() {
    if (this.planDone && this.open > 0 && this.open === this.window?.size) void this.window.flush()
    if (this.planDone && this.open === 0) this.allDone()
  }

  /** A failed copy: retried, rerouted or final, as the plugins decide. */
  private failed(o: CopyOutcome) {
    if (!this.items.isOpen(o.item)) return
    const { routes, ctx, handlers, items } = this
    const attempt = items.attempt(o.item)
    handlers.onFailure(o, attempt).then(async (action) => {
      const direct = serverSide(routes, o)
      // A run that is stopping (interrupted, or ended by an error) starts nothing new.
      if (action === 'retry' && !ctx.signal.aborted && !this.fatal) {
        if (isOfClass('timeout', o.code)) this.warn(`no answer in time for ${printableKey(o.item.key)} (${o.engine}: ${o.error}); retrying`)
        items.setAttempt(o.item, attempt + 1)
        await new Promise((r) => setTimeout(r, backoffMs(attempt, o.code)))
        const engine = retryEngine(routes, o)
        return this.submit(this.session(engine), engine.name, o.item)
      }
      if (action === 'fallback' && direct && routes.traditional && !ctx.signal.aborted && !this.fatal) {
        items.setNote(o.item, `server-side copy impossible (${o.code ?? o.error}); copied traditionally`)
        items.setAttempt(o.item, 0)
        return this.submit(this.session(routes.traditional), routes.traditional.name, o.item)
      }
      this.final(o)
    }).catch((e) => (this.stopWith(e), this.final(o)))
  }

  /** What an engine says of an item. */
  private onOutcome(o: CopyOutcome) {
    const { items, routes, ctx, handlers } = this
    if (!items.isOpen(o.item)) return
    items.outcome(o.item, o.ok)
    if (o.ok && handlers.progress) (handlers.progress.answered++, (handlers.progress.answeredBytes += o.item.size))
    // Interrupted: no verification, no retry; what is still open is counted at the end.
    if (ctx.signal.aborted) return
    if (o.ok && !this.window) return this.final(o)
    if (o.ok) return (this.window!.add(o, this.planDone), this.settle())
    const stop = jobStopper(o)
    if (stop) return (this.stopWith(stop), this.final(o))
    // s5cmd form-encodes the copy source (space as "+"); a server that reads it as a plain
    // path answers NoSuchKey for a key just listed. The sdk engine encodes it strictly.
    if (engineOf(routes, o)?.capabilities.formEncodedSource && routes.direct && /NoSuchKey/.test(o.code ?? o.error ?? '') && !items.note(o.item) && !ctx.signal.aborted) {
      items.setNote(o.item, `s5cmd failed (NoSuchKey); copied by ${routes.direct.name}`)
      void this.submit(this.session(routes.direct), routes.direct.name, o.item)
      return
    }
    this.failed(o)
  }

  private countInterrupted() {
    this.items.closeAll((w, answered) => this.emit({ type: 'interrupted', item: w.item, answered }))
  }
}
