import type { CopyItem, CopyOutcome, Engine, EngineContext } from '../engines/types.ts'
import type { PlanItem } from '../plan/diff.ts'

export interface BatchHandlers {
  onSkip(item: Extract<PlanItem, { action: 'skip' }>): Promise<void>
  onBatchStart(batch: number, items: CopyItem[], engine: string): Promise<void>
  onOutcome(outcome: CopyOutcome): Promise<void>
  onBatchEnd(batch: number, outcomes: CopyOutcome[]): Promise<void>
}

/**
 * Consumes the plan stream and copies in batches of `batchSize`, one batch in flight while
 * the next is planned. Items the primary engine cannot carry go to the fallback engine.
 */
export async function executePlan(
  plan: AsyncIterable<PlanItem>,
  engines: { primary: Engine; fallback: Engine },
  ctx: EngineContext,
  handlers: BatchHandlers,
): Promise<void> {
  let batch: CopyItem[] = []
  let batchNo = 0
  let inFlight: Promise<void> | undefined

  const dispatch = async (items: CopyItem[]) => {
    const n = ++batchNo
    const primary = items.filter((i) => engines.primary.accepts(i))
    const rest = engines.primary === engines.fallback ? [] : items.filter((i) => !engines.primary.accepts(i))
    const label = rest.length && primary.length ? `${engines.primary.name}+${engines.fallback.name}` : rest.length ? engines.fallback.name : engines.primary.name
    await handlers.onBatchStart(n, items, label)
    const parts = await Promise.all([
      primary.length ? copyWithRescue(primary, engines, ctx) : [],
      rest.length ? engines.fallback.copy(rest, ctx) : [],
    ])
    const outcomes = parts.flat()
    for (const o of outcomes) await handlers.onOutcome(o)
    await handlers.onBatchEnd(n, outcomes)
  }

  for await (const item of plan) {
    if (ctx.signal.aborted) break
    if (item.action === 'skip') {
      await handlers.onSkip(item)
      continue
    }
    batch.push(item)
    if (batch.length >= ctx.job.batchSize) {
      await inFlight
      inFlight = dispatch(batch)
      inFlight.catch(() => {}) // awaited below; avoid an unhandled rejection meanwhile
      batch = []
    }
  }
  await inFlight
  if (batch.length && !ctx.signal.aborted) await dispatch(batch)
}

/**
 * s5cmd form-encodes the copy source (space as "+"); servers that decode it as a plain URL
 * path answer NoSuchKey for a key that was just listed. Those items go once through the
 * fallback engine, which encodes the copy source strictly.
 */
async function copyWithRescue(items: CopyItem[], engines: { primary: Engine; fallback: Engine }, ctx: EngineContext): Promise<CopyOutcome[]> {
  const outcomes = await engines.primary.copy(items, ctx)
  if (engines.primary === engines.fallback || ctx.signal.aborted) return outcomes
  const lost = outcomes.filter((o) => !o.ok && /NoSuchKey/.test(o.error ?? ''))
  if (!lost.length) return outcomes
  const rescued = new Map((await engines.fallback.copy(lost.map((o) => o.item), ctx)).map((o) => [o.item, o]))
  return outcomes.map((o) => {
    const r = rescued.get(o.item)
    return r ? { ...r, note: `${engines.primary.name} failed (${o.error?.split(':')[0]}); copied by ${r.engine}` } : o
  })
}
