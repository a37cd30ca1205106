/** Spaces events at least 1/`perSecond` apart, shared by every caller: `take` resolves at the next free slot. */
export class RateLimiter {
  private next = 0
  constructor(private readonly perSecond: number) {}

  async take(): Promise<void> {
    const now = performance.now()
    const at = Math.max(now, this.next)
    this.next = at + 1000 / this.perSecond
    if (at > now) await new Promise((r) => setTimeout(r, at - now))
  }
}
