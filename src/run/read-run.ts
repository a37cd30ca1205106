import type { PlanItem } from '../api/items.ts'
import type { CopyItem, CopyOutcome } from '../engines/types.ts'
import type { RunEvent, RunStream } from './execute.ts'

/**
 * A reader of a run's events: the tally (the summary, and through its events the journal, the
 * report and the metrics) and the ETag memory. Every method is optional.
 */
export interface RunObserver {
  skipped?(item: Extract<PlanItem, { action: 'skip' }>): Promise<void> | void
  batchStarted?(batch: number, engine: string): Promise<void> | void
  /** The final outcome of an item: copied (and verified), or failed for good. */
  outcome?(outcome: CopyOutcome, batch: number | undefined): Promise<void> | void
  batchEnded?(batch: number): Promise<void> | void
  /** A line for the run's output: stalls, timeouts being retried. */
  warn?(message: string): Promise<void> | void
  /** The run was interrupted before this item's outcome was known; `answered`: its copy said OK, unconfirmed. */
  interrupted?(item: CopyItem, answered: boolean): void
}

/**
 * Reads a run to its end: each event to each observer in turn, each awaited, so they see the
 * run in one order. An observer's error (a journal that cannot be written) stops the run; the
 * read goes on through what the stop brings (the items left open, counted) and ends by throwing it.
 */
export async function readRun(run: RunStream, observers: readonly RunObserver[]): Promise<void> {
  for await (const event of run) {
    try {
      for (const observer of observers) await tell(observer, event)
    } catch (error) {
      run.stop(error)
    }
  }
}

async function tell(o: RunObserver, e: RunEvent): Promise<void> {
  switch (e.type) {
    case 'skipped':
      for (const item of e.items) await o.skipped?.(item)
      return
    case 'batch-started': return o.batchStarted?.(e.batch, e.engine)
    case 'outcome': return o.outcome?.(e.outcome, e.batch)
    case 'batch-ended': return o.batchEnded?.(e.batch)
    case 'warning': return o.warn?.(e.message)
    case 'interrupted': return o.interrupted?.(e.item, e.answered)
  }
}
