/**
 * Spaces events 1/`perSecond` apart, shared by every caller: `take` resolves at the next free
 * slot. Callers wait in turn, one timer at a time, and a late timer (a busy event loop) is
 * caught up by at most one slot: the rate holds on average, and a stall never releases the
 * waiting callers together in a burst.
 */
export class RateLimiter {
  private last = -Infinity
  private queue: Promise<void> = Promise.resolve()
  private readonly spacingMs: number

  constructor(perSecond: number) {
    this.spacingMs = 1000 / perSecond
  }

  take(): Promise<void> {
    const turn = this.queue.then(async () => {
      const now = performance.now()
      const slot = Math.max(this.last + this.spacingMs, now - this.spacingMs)
      if (slot > now) await new Promise((r) => setTimeout(r, slot - now))
      this.last = slot
    })
    this.queue = turn
    return turn
  }
}
