/**
 * Spaces events 1/`perSecond` apart, shared by every caller: `take` resolves at the next free
 * slot. After a stall it may catch up on at most 100 ms of missed slots, so the average holds.
 */
export class RateLimiter {
  private next = 0
  constructor(private readonly perSecond: number) {}

  async take(): Promise<void> {
    const now = performance.now()
    const at = Math.max(now - 100, this.next)
    this.next = at + 1000 / this.perSecond
    if (at > now) await new Promise((r) => setTimeout(r, at - now))
  }
}
