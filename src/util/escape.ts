/**
 * An event that may never come (a run given up by its liveness guard), raced against many
 * promises: `race(p)` settles as `p` does, or with undefined once the event fires. Unlike
 * `Promise.race([p, event])`, a race leaves nothing behind once `p` settles; that one added a
 * reaction to the event's promise per race, kept until the event came, so a run that never
 * gave up held one per copy (~200 bytes each: 20 MB at 100,000 copies).
 */
export class Escape {
  private readonly waiting = new Set<() => void>()
  private fired = false

  fire() {
    this.fired = true
    for (const escape of this.waiting) escape()
    this.waiting.clear()
  }

  race<T>(p: Promise<T> | undefined): Promise<T | undefined> {
    if (!p || this.fired) return Promise.resolve(undefined)
    return new Promise((resolve, reject) => {
      const escape = () => resolve(undefined)
      this.waiting.add(escape)
      p.then(
        (value) => (this.waiting.delete(escape), resolve(value)),
        (error) => (this.waiting.delete(escape), reject(error)),
      )
    })
  }

  /** Races not yet settled. */
  get pending() {
    return this.waiting.size
  }
}
