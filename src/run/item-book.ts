import type { CopyItem } from '../engines/types.ts'
import type { Waiting } from './liveness.ts'

/**
 * The items of a run between their first submission and their final outcome: which engine
 * has each and since when, earlier tries, a note on how it came about, and whether its copy
 * was answered OK. Held only while an item is open (the copies in flight and a verification
 * window), and dropped with its outcome. An item no longer open is never reported again:
 * that is how late outcomes (after a give-up or an interrupt) are dropped.
 */
export class ItemBook {
  private readonly open = new Map<CopyItem, Waiting>()
  private readonly attempts = new Map<CopyItem, number>()
  private readonly notes = new Map<CopyItem, string>()
  private readonly answered = new Set<CopyItem>()
  /** When an engine last gave an outcome. */
  lastOutcome = performance.now()

  submitted(item: CopyItem, engine: string) {
    this.open.set(item, { item, engine, since: performance.now() })
  }

  isOpen(item: CopyItem): boolean {
    return this.open.has(item)
  }

  outcome(item: CopyItem, ok: boolean) {
    this.lastOutcome = performance.now()
    if (ok) this.answered.add(item)
  }

  /** Tries made before this one. */
  attempt(item: CopyItem): number {
    return this.attempts.get(item) ?? 0
  }

  setAttempt(item: CopyItem, n: number) {
    this.attempts.set(item, n)
  }

  note(item: CopyItem): string | undefined {
    return this.notes.get(item)
  }

  setNote(item: CopyItem, text: string) {
    this.notes.set(item, text)
  }

  /** Ends an item; false if it was no longer open. */
  close(item: CopyItem): boolean {
    if (!this.open.delete(item)) return false
    this.attempts.delete(item)
    this.notes.delete(item)
    this.answered.delete(item)
    return true
  }

  waiting(): Iterable<Waiting> {
    return this.open.values()
  }

  /** Ends every open item, saying of each whether its copy had been answered OK. */
  closeAll(each: (item: Waiting, answered: boolean) => void) {
    for (const w of [...this.open.values()]) {
      const answered = this.answered.has(w.item)
      this.close(w.item)
      each(w, answered)
    }
  }
}
