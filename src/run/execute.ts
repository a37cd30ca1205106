import type { CopyItem, CopyOutcome, Engine, EngineContext, EngineSession } from '../engines/types.ts'
import type { PlanItem } from '../plan/diff.ts'
import type { ItemErrorAction } from '../plugins/types.ts'
import { watchLiveness, type Waiting } from './liveness.ts'
import { stallSeconds } from '../util/env.ts'
import { printableKey } from '../util/printable.ts'

export interface Routes {
  /** The job's engine; it works in batches of `batchSize` items. */
  primary: Engine
  /** Direct copies the primary cannot carry, rescues and retries of direct copies (sdk). */
  direct?: Engine
  /** Where items go that cannot be copied server-side, when the job allows it. */
  traditional?: Engine
}

export interface ExecuteHandlers {
  onSkip(item: Extract<PlanItem, { action: 'skip' }>): Promise<void>
  onBatchStart(batch: number, engine: string): Promise<void>
  /** The final outcome of an item: copied (and verified), or failed for good. */
  onOutcome(outcome: CopyOutcome, batch: number | undefined): Promise<void>
  onBatchEnd(batch: number): Promise<void>
  /** What to do with a failed copy (plugins decide); `attempt` counts earlier tries. */
  onFailure(outcome: CopyOutcome, attempt: number): Promise<ItemErrorAction>
  /** Checks copied items at the destination; returns them, failed where the check failed. */
  verify?(outcomes: CopyOutcome[]): Promise<CopyOutcome[]>
  /** A line for the run's output: stalls, timeouts being retried. */
  warn?(message: string): void
  /** The run was interrupted before this item's outcome was known; `answered`: its copy said OK, unconfirmed. */
  onInterrupted?(item: CopyItem, answered: boolean): void
}

// A request the server accepted and left silent: the run says which item waited.
const TIMEOUT_CODES = new Set(['TimeoutError', 'ETIMEDOUT', 'RequestTimeout'])

const VERIFY_WINDOW = 1000
// Once the plan is complete, copies are verified in smaller windows as they land, so the check
// left after the last copy is short.
const TAIL_WINDOW = 200

/** Exponential backoff with full jitter; SlowDown asks for a longer pause. */
export function backoffMs(attempt: number, code?: string): number {
  const base = code === 'SlowDown' || code === 'Throttling' || code === 'TooManyRequests' ? 1000 : 100
  return Math.random() * Math.min(20_000, base * 2 ** attempt)
}

/**
 * Streams the plan into the engines while it is being listed, and sees every item to a
 * final outcome: failures are retried, rerouted to a traditional copy, or reported, as the
 * plugins decide; successes are verified in windows before they are reported.
 */
export async function executePlan(plan: AsyncIterable<Exclude<PlanItem, { action: 'delete' }>>, routes: Routes, ctx: EngineContext, handlers: ExecuteHandlers): Promise<void> {
  let reporting: Promise<void> = Promise.resolve()
  let fatal: unknown
  const serial = (fn: () => Promise<void>) => {
    reporting = reporting.then(fn).catch((e) => void (fatal ??= e))
  }

  // Items without a final outcome yet, with their engine and since when: the liveness guard
  // names them, and an outcome for an item no longer here (given up) is dropped.
  const waiting = new Map<CopyItem, Waiting>()
  let lastOutcome = performance.now()
  let abandon!: () => void
  const abandoned = new Promise<void>((r) => (abandon = r))
  const orAbandoned = (p: Promise<unknown> | undefined) => Promise.race([p, abandoned])
  const submit = (engine: EngineSession, name: string, item: CopyItem) => {
    waiting.set(item, { item, engine: name, since: performance.now() })
    return orAbandoned(engine.submit(item))
  }
  const attempts = new Map<CopyItem, number>()
  const notes = new Map<CopyItem, string>()
  const batchOf = new Map<CopyItem, number>()
  const batchOpen = new Map<number, number>()
  const batchClosed = new Set<number>()
  const toVerify: CopyOutcome[] = []
  // Copies the engine answered OK, not yet confirmed: what an interrupt leaves unknown.
  const answered = new Set<CopyItem>()
  let open = 0
  let planDone = false
  let allDone!: () => void
  const finished = new Promise<void>((r) => (allDone = r))

  const sessions = new Map<Engine, EngineSession>()
  const session = (engine: Engine) => {
    let s = sessions.get(engine)
    if (!s) sessions.set(engine, (s = engine.open(ctx, onOutcome)))
    return s
  }

  const final = (o: CopyOutcome) => {
    if (!waiting.delete(o.item)) return
    const note = notes.get(o.item)
    const batch = batchOf.get(o.item)
    serial(() => handlers.onOutcome(note && o.ok ? { ...o, note } : o, batch))
    for (const m of [attempts, notes, batchOf] as Map<CopyItem, unknown>[]) m.delete(o.item)
    answered.delete(o.item)
    if (batch !== undefined) {
      batchOpen.set(batch, batchOpen.get(batch)! - 1)
      endBatchIfDone(batch)
    }
    open--
    settle()
  }
  const endBatchIfDone = (batch: number) => {
    if (batchClosed.has(batch) && batchOpen.get(batch) === 0) {
      batchOpen.delete(batch)
      serial(() => handlers.onBatchEnd(batch))
    }
  }
  const settle = () => {
    if (planDone && open > 0 && open === toVerify.length) flushVerify()
    if (planDone && open === 0) allDone()
  }
  const flushVerify = () => {
    const window = toVerify.splice(0)
    if (!handlers.verify || !window.length) return window.forEach(final)
    handlers.verify(window).then(
      (checked) => checked.forEach((o) => (o.ok ? final(o) : failed(o))),
      // After an interrupt the window stays unconfirmed (counted at the end), not failed.
      (error) => ctx.signal.aborted || window.forEach((o) => failed({ ...o, ok: false, error: `verification failed: ${error instanceof Error ? error.message : error}` })),
    )
  }
  const failed = (o: CopyOutcome) => {
    if (!waiting.has(o.item)) return
    const attempt = attempts.get(o.item) ?? 0
    handlers.onFailure(o, attempt).then(async (action) => {
      const direct = o.engine === 's5cmd' || o.engine === 'sdk'
      if (action === 'retry' && !ctx.signal.aborted) {
        if (TIMEOUT_CODES.has(o.code ?? '')) handlers.warn?.(`no answer in time for ${printableKey(o.item.key)} (${o.engine}: ${o.error}); retrying`)
        attempts.set(o.item, attempt + 1)
        await new Promise((r) => setTimeout(r, backoffMs(attempt, o.code)))
        const engine = direct ? routes.direct ?? routes.primary : o.engine === routes.traditional?.name ? routes.traditional : routes.primary
        return submit(session(engine), engine.name, o.item)
      }
      if (action === 'fallback' && direct && routes.traditional && !ctx.signal.aborted) {
        notes.set(o.item, `server-side copy impossible (${o.code ?? o.error}); copied traditionally`)
        attempts.set(o.item, 0)
        return submit(session(routes.traditional), routes.traditional.name, o.item)
      }
      final(o)
    }).catch((e) => (fatal ??= e, final(o)))
  }
  function onOutcome(o: CopyOutcome) {
    if (!waiting.has(o.item)) return
    lastOutcome = performance.now()
    if (o.ok) answered.add(o.item)
    // Interrupted: no verification, no retry; what is still open is counted at the end.
    if (ctx.signal.aborted) return
    if (o.ok && !handlers.verify) return final(o)
    if (o.ok) {
      toVerify.push(o)
      if (toVerify.length >= (planDone ? TAIL_WINDOW : VERIFY_WINDOW)) flushVerify()
      else settle()
      return
    }
    // s5cmd form-encodes the copy source (space as "+"); a server that reads it as a plain
    // path answers NoSuchKey for a key just listed. The sdk engine encodes it strictly.
    if (o.engine === 's5cmd' && routes.direct && /NoSuchKey/.test(o.code ?? o.error ?? '') && !notes.has(o.item) && !ctx.signal.aborted) {
      notes.set(o.item, `s5cmd failed (NoSuchKey); copied by ${routes.direct.name}`)
      void submit(session(routes.direct), routes.direct.name, o.item)
      return
    }
    failed(o)
  }

  let batchNo = 0
  let batch: { session: EngineSession; no: number; size: number } | undefined
  const closeBatch = (b: { session: EngineSession; no: number }) =>
    orAbandoned(b.session.close()).then(() => {
      batchClosed.add(b.no)
      endBatchIfDone(b.no)
    })
  const countInterrupted = () => {
    for (const w of waiting.values()) handlers.onInterrupted?.(w.item, answered.has(w.item))
    waiting.clear()
  }
  const guard = watchLiveness({
    stallMs: stallSeconds() * 1000,
    lastProgress: () => Math.max(lastOutcome, ctx.counter.lastAnswerAt),
    waiting: () => waiting.values(),
    warn: (m) => handlers.warn?.(m),
    giveUp: (reason) => {
      abandon()
      toVerify.length = 0
      for (const w of [...waiting.values()]) final({ item: w.item, ok: false, engine: w.engine, error: reason, code: 'Stalled' })
    },
  })

  try {
    for await (const item of plan) {
      if (ctx.signal.aborted || fatal) break
      if (item.action === 'skip') {
        serial(() => handlers.onSkip(item))
        continue
      }
      open++
      if (!routes.primary.accepts(item, ctx.job)) {
        const engine = routes.direct ?? routes.traditional ?? routes.primary
        await submit(session(engine), engine.name, item)
        continue
      }
      if (!batch) {
        const no = ++batchNo
        serial(() => handlers.onBatchStart(no, routes.primary.name))
        batch = { session: routes.primary.open(ctx, onOutcome), no, size: 0 }
        batchOpen.set(no, 0)
      }
      batchOf.set(item, batch.no)
      batchOpen.set(batch.no, batchOpen.get(batch.no)! + 1)
      await submit(batch.session, routes.primary.name, item)
      if (++batch.size >= ctx.job.batchSize) {
        // A batch ends before the next starts: copies in flight never exceed the job's
        // concurrency, and one s5cmd runs at a time (its drain is ~0.1 s per 10,000 items).
        const full = batch
        batch = undefined
        await closeBatch(full)
      }
    }
  } catch (error) {
    // A listing failed mid-run: end the engines' input so no s5cmd waits on stdin, then report.
    guard.stop()
    await orAbandoned(Promise.allSettled([...(batch ? [batch.session.close()] : []), ...[...sessions.values()].map((s) => s.close())]))
    if (ctx.signal.aborted) countInterrupted()
    await reporting
    throw error
  }
  const lastBatch = batch && closeBatch(batch)
  planDone = true
  settle()
  await lastBatch
  if (!ctx.signal.aborted && !fatal) await orAbandoned(finished)
  if (ctx.signal.aborted) countInterrupted()
  for (const s of sessions.values()) await orAbandoned(s.close())
  guard.stop()
  await reporting
  if (fatal) throw fatal
}
