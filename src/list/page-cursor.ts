/**
 * Reads a paged listing one object at a time, awaiting only when a page runs out: a merge over
 * two listings then costs a promise per page, not per key (at 10^8 keys, per-key awaits were
 * most of the planner's CPU).
 *
 *   await c.ready(); while (c.value) { use(c.value); if (!c.step()) await c.ready() }
 */
export class PageCursor<T> {
  private page: T[] = []
  private at = 0
  private ended = false
  private readonly pages: AsyncIterator<T[]>

  constructor(pages: AsyncIterable<T[]>) {
    this.pages = pages[Symbol.asyncIterator]()
  }

  /** The object under the cursor; undefined at the end of the listing (once `ready` resolved). */
  get value(): T | undefined {
    return this.page[this.at]
  }

  /** Moves to the next object: true when it is here already, false when `ready` must be awaited first. */
  step(): boolean {
    return ++this.at < this.page.length
  }

  /** Reads pages until an object is under the cursor or the listing has ended. */
  async ready(): Promise<void> {
    while (this.at >= this.page.length && !this.ended) {
      const r = await this.pages.next()
      if (r.done) this.ended = true
      else (this.page = r.value), (this.at = 0)
    }
  }

  /** Stops the listing underneath (its pending requests end). */
  async close(): Promise<void> {
    await this.pages.return?.()
  }
}
