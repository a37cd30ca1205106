import type { RequestCounts } from '../api/events.ts'
import type { RateLimiter } from '../util/rate.ts'
import { isOfClass } from '../api/error-classes.ts'

/** Counts the requests really sent (per attempt, after retries are decided), by S3 operation. */
export class RequestCounter {
  readonly counts: RequestCounts = {}
  /** When the last response (or error) came back: the run's liveness guard reads it. */
  lastAnswerAt = performance.now()
  /** Answers that said slow down (503 SlowDown and kin), each attempt: the adaptive limit backs off on them. */
  throttled = 0
  add(operation: string, n = 1) {
    this.counts[operation] = (this.counts[operation] ?? 0) + n
  }
  get total() {
    return Object.values(this.counts).reduce((a, b) => a + b, 0)
  }
}

/** A transport's meters: every request (each attempt) is counted, and waits for its turn under --max-rps. */
export interface Meters {
  counter?: RequestCounter
  limiter?: RateLimiter
}

/** One request (each attempt): its turn under the limiter, counted, and its answer's time noted for the liveness guard. */
export async function metered<T>(m: Meters, operation: string, send: () => Promise<T>): Promise<T> {
  await m.limiter?.take()
  m.counter?.add(operation)
  try {
    return await send()
  } catch (error) {
    if (m.counter && isThrottle(error)) m.counter.throttled++
    throw error
  } finally {
    if (m.counter) m.counter.lastAnswerAt = performance.now()
  }
}

/** An error answer that asks the client to slow down: by its code, or a bare 503 (HEAD answers have no body). */
export function isThrottle(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } } | undefined
  return isOfClass('throttled', e?.Code ?? e?.name) || e?.$metadata?.httpStatusCode === 503
}
