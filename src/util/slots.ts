/** A counting semaphore: `take` waits for a free slot, `give` frees one, `idle` waits for all. */
export class Slots {
  private used = 0
  private waiting: (() => void)[] = []
  private drained: (() => void)[] = []
  constructor(private readonly size: number) {}

  async take(): Promise<void> {
    while (this.used >= this.size) await new Promise<void>((r) => this.waiting.push(r))
    this.used++
  }

  give(): void {
    this.used--
    this.waiting.shift()?.()
    if (this.used === 0) for (const r of this.drained.splice(0)) r()
  }

  async idle(): Promise<void> {
    if (this.used > 0) await new Promise<void>((r) => this.drained.push(r))
  }
}
