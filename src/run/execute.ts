import type { CopyItem, CopyOutcome, Engine, EngineContext, EngineSession } from '../engines/types.ts'
import type { PlanItem } from '../plan/diff.ts'

export interface ExecuteHandlers {
  onSkip(item: Extract<PlanItem, { action: 'skip' }>): Promise<void>
  onBatchStart(batch: number, engine: string): Promise<void>
  onOutcome(outcome: CopyOutcome, batch: number | undefined): Promise<void>
  onBatchEnd(batch: number): Promise<void>
}

/**
 * Streams the plan into the engines while it is being listed. The primary engine works in
 * batches of `batchSize` items (the next batch opens while the last one drains); items it
 * cannot carry, and items it lost to a copy-source encoding mismatch, go to the fallback.
 */
export async function executePlan(
  plan: AsyncIterable<PlanItem>,
  engines: { primary: Engine; fallback: Engine },
  ctx: EngineContext,
  handlers: ExecuteHandlers,
): Promise<void> {
  // Outcomes arrive from engine callbacks; report them one at a time, in arrival order.
  let reporting: Promise<void> = Promise.resolve()
  let reportError: unknown
  const report = (fn: () => Promise<void>) => {
    reporting = reporting.then(fn).catch((e) => void (reportError ??= e))
  }
  const separate = engines.primary !== engines.fallback
  /** Items rescued from the primary engine, with the note their outcome will carry. */
  const rescued = new Map<CopyItem, string>()
  let fallback: EngineSession | undefined
  const fallbackSession = () =>
    (fallback ??= engines.fallback.open(ctx, (o) => {
      const note = rescued.get(o.item)
      report(() => handlers.onOutcome(note ? { ...o, note } : o, undefined))
    }))

  let batchNo = 0
  let batch: { session: EngineSession; no: number; size: number } | undefined
  const draining: Promise<void>[] = []
  const openBatch = () => {
    const no = ++batchNo
    report(() => handlers.onBatchStart(no, engines.primary.name))
    const session = engines.primary.open(ctx, (o) => {
      // s5cmd form-encodes the copy source (space as "+"); a server that reads it as a plain
      // path answers NoSuchKey for a key just listed. The fallback encodes it strictly.
      if (!o.ok && separate && !ctx.signal.aborted && /NoSuchKey/.test(o.error ?? '')) {
        rescued.set(o.item, `${o.engine} failed (${o.error?.split(':')[0]}); copied by ${engines.fallback.name}`)
        report(() => fallbackSession().submit(o.item))
        return
      }
      report(() => handlers.onOutcome(o, no))
    })
    return { session, no, size: 0 }
  }
  const closeBatch = (b: NonNullable<typeof batch>) =>
    b.session.close().then(() => new Promise<void>((r) => report(async () => (await handlers.onBatchEnd(b.no), r()))))

  for await (const item of plan) {
    if (ctx.signal.aborted) break
    if (reportError) throw reportError
    if (item.action === 'skip') {
      report(() => handlers.onSkip(item))
      continue
    }
    if (separate && !engines.primary.accepts(item)) {
      await fallbackSession().submit(item)
      continue
    }
    batch ??= openBatch()
    await batch.session.submit(item)
    if (++batch.size >= ctx.job.batchSize) {
      // At most one older batch drains while the next one fills.
      await draining.shift()
      draining.push(closeBatch(batch))
      batch = undefined
    }
  }
  if (batch) draining.push(closeBatch(batch))
  await Promise.all(draining)
  await reporting
  if (fallback) await fallback.close()
  await reporting
  if (reportError) throw reportError
}
