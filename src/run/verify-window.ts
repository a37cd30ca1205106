import type { CopyOutcome } from '../engines/types.ts'

// A window fills to be proven by one listing of the destination across its keys.
const WINDOW = 1000
// Once the plan is complete, copies are verified in smaller windows as they land, so the check
// left after the last copy is short.
const TAIL_WINDOW = 200
// A window whose copies' answers proved them has no listing to share: it is checked this long
// after its first copy instead, so the plugins' checks (a sidecar GET each) keep pace with the
// copies instead of waiting for 1,000 of them.
const WAIT_MS = 250

/**
 * The check of copies the engines answered OK, as a windowed transform: they gather here and are
 * checked together (one listing proves a window), then each goes on as checked or failed.
 */
export class VerifyWindow {
  private copies: CopyOutcome[] = []
  /** The window holds a copy that only a listing proves: it waits to fill. */
  private needsListing = false
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly o: {
    /** Checks copies at the destination; returns them, failed where the check failed. */
    check(outcomes: CopyOutcome[]): Promise<CopyOutcome[]>
    /** The copy's answer proved its bytes: checking it lists nothing, so its window need not fill first. */
    provenByAnswer?(outcome: CopyOutcome): boolean
    checked(outcome: CopyOutcome): void
    failed(outcome: CopyOutcome): void
    aborted(): boolean
  }) {}

  /** Copies waiting for their check. */
  get size(): number {
    return this.copies.length
  }

  /** A copy answered OK; `planDone`: no more copies are planned, so windows are smaller. */
  add(outcome: CopyOutcome, planDone: boolean): void {
    this.copies.push(outcome)
    if (!this.o.provenByAnswer?.(outcome)) this.needsListing = true
    if (this.copies.length >= (planDone ? TAIL_WINDOW : WINDOW)) void this.flush()
    else this.checkSoon()
  }

  /** Checks what is waiting now. */
  flush(): Promise<void> {
    const window = this.copies
    this.drop()
    if (!window.length) return Promise.resolve()
    return this.o.check(window).then(
      (checked) => checked.forEach((c) => (c.ok ? this.o.checked(c) : this.o.failed(c))),
      // After an interrupt the window stays unconfirmed (counted at the end), not failed.
      (error) => void (this.o.aborted() || window.forEach((c) => this.o.failed({ ...c, ok: false, error: `verification failed: ${error instanceof Error ? error.message : error}` }))),
    )
  }

  /** Forgets what is waiting (the run gave those items up). */
  drop(): void {
    this.copies = []
    this.needsListing = false
    clearTimeout(this.timer)
    this.timer = undefined
  }

  /** A window its copies' answers proved is checked WAIT_MS after its first copy. */
  private checkSoon() {
    if (this.timer || this.needsListing) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      if (!this.needsListing && this.copies.length && !this.o.aborted()) void this.flush()
    }, WAIT_MS)
  }
}
