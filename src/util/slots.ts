/**
 * A counting semaphore: `take` waits for a free slot, `give` frees one, `idle` waits for all.
 * Its size may be a function read at each turn (an adaptive limit): a larger size lets waiters
 * in at the next `give`, a smaller one holds them until enough slots are given back.
 */
export class Slots {
  private used = 0
  private waiting: (() => void)[] = []
  private drained: (() => void)[] = []
  private readonly size: () => number
  constructor(size: number | (() => number)) {
    this.size = typeof size === 'number' ? () => size : size
  }

  /** Slots taken now. */
  get inUse(): number {
    return this.used
  }

  async take(): Promise<void> {
    while (this.used >= this.size()) await new Promise<void>((r) => this.waiting.push(r))
    this.used++
  }

  give(): void {
    this.used--
    // As many waiters as there are free slots: the size may have grown since the last turn.
    for (let free = this.size() - this.used; free > 0 && this.waiting.length; free--) this.waiting.shift()!()
    if (this.used === 0) for (const r of this.drained.splice(0)) r()
  }

  async idle(): Promise<void> {
    if (this.used > 0) await new Promise<void>((r) => this.drained.push(r))
  }
}
