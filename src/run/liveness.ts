import type { CopyItem } from '../engines/types.ts'
import { printableKey } from '../util/printable.ts'

export interface Waiting {
  item: CopyItem
  engine: string
  since: number
}

export interface LivenessOptions {
  stallMs: number
  /** When anything last moved: a response, an engine result. */
  lastProgress(): number
  /** The items still waiting for their outcome. */
  waiting(): Iterable<Waiting>
  /** A warning line for the run's output. */
  warn(message: string): void
  /** Nothing moved for twice the limit: fail what waits, and let the job end. */
  giveUp(reason: string): void
}

/**
 * No run waits silently. With items waiting and no progress for `stallMs`, the run says what
 * it waits for (the request-level guards, socket timeouts and the s5cmd watchdog, should act by
 * then); after twice that, it gives those items up as failed so the job ends.
 */
export function watchLiveness(o: LivenessOptions): { stop(): void } {
  let warnedAt = 0
  const timer = setInterval(() => {
    const idle = performance.now() - o.lastProgress()
    if (idle < o.stallMs) return void (warnedAt = 0)
    const waiting = [...o.waiting()]
    if (!waiting.length) return
    const oldest = waiting.reduce((a, b) => (b.since < a.since ? b : a))
    const engines = [...new Set(waiting.map((w) => w.engine))].join(', ')
    const what = `${waiting.length} item(s) waiting (engine ${engines}), the oldest ${printableKey(oldest.item.key)} for ${Math.round((performance.now() - oldest.since) / 1000)} s`
    const seconds = Math.round(idle / 1000)
    if (idle >= 2 * o.stallMs) {
      clearInterval(timer)
      o.giveUp(`stalled: no progress for ${seconds} s (LAKESYNC_STALL_SECONDS=${o.stallMs / 1000})`)
      o.warn(`stalled: no progress for ${seconds} s; gave up ${what}`)
    } else if (!warnedAt) {
      warnedAt = performance.now()
      o.warn(`no progress for ${seconds} s: ${what}; giving them up at ${(2 * o.stallMs) / 1000} s (LAKESYNC_STALL_SECONDS)`)
    }
  }, Math.max(50, Math.min(5000, o.stallMs / 4)))
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
