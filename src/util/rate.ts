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

  /** Once `signal` aborts (an interrupt), every turn is given at once: the requests then fail fast on the aborted signal instead of queueing out their slots. */
  constructor(perSecond: number, private readonly signal?: AbortSignal) {
    this.spacingMs = 1000 / perSecond
  }

  take(): Promise<void> {
    if (this.signal?.aborted) return Promise.resolve()
    const turn = this.queue.then(async () => {
      const now = performance.now()
      const slot = Math.max(this.last + this.spacingMs, now - this.spacingMs)
      if (slot > now && !this.signal?.aborted) await pause(slot - now, this.signal)
      this.last = slot
    })
    this.queue = turn
    return turn
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => (clearTimeout(timer), signal?.removeEventListener('abort', done), resolve())
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}
