import type { CopyItem } from '../engines/types.ts'

/**
 * Which batch each item went in, and when a batch is over: closed (its engine session ended)
 * and every item of it settled. Only then is its end reported, with counts that match the
 * items it held.
 */
export class BatchLedger {
  private readonly batchOf = new Map<CopyItem, number>()
  private readonly unsettled = new Map<number, number>()
  private readonly closed = new Set<number>()
  private last = 0

  constructor(private readonly onEnd: (batch: number) => void) {}

  /** A new batch's number. */
  open(): number {
    const no = ++this.last
    this.unsettled.set(no, 0)
    return no
  }

  add(item: CopyItem, batch: number) {
    this.batchOf.set(item, batch)
    this.unsettled.set(batch, this.unsettled.get(batch)! + 1)
  }

  batchOfItem(item: CopyItem): number | undefined {
    return this.batchOf.get(item)
  }

  /** An item's final outcome is known. */
  settled(item: CopyItem) {
    const batch = this.batchOf.get(item)
    if (batch === undefined) return
    this.batchOf.delete(item)
    this.unsettled.set(batch, this.unsettled.get(batch)! - 1)
    this.endIfDone(batch)
  }

  /** The batch's engine session has ended: no more items will join it. */
  close(batch: number) {
    this.closed.add(batch)
    this.endIfDone(batch)
  }

  private endIfDone(batch: number) {
    if (!this.closed.has(batch) || this.unsettled.get(batch) !== 0) return
    this.unsettled.delete(batch)
    this.closed.delete(batch)
    this.onEnd(batch)
  }
}
