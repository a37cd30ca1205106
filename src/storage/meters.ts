import type { RequestCounts } from '../api/events.ts'
import type { RateLimiter } from '../util/rate.ts'

/** Counts the requests really sent (per attempt, after retries are decided), by S3 operation. */
export class RequestCounter {
  readonly counts: RequestCounts = {}
  /** When the last response (or error) came back: the run's liveness guard reads it. */
  lastAnswerAt = performance.now()
  /**
   * Answers that said slow down (503), each attempt: the adaptive limit backs off on them. Counted
   * where the status is seen: the SDK client's middleware (storage/client.ts) and the lean path.
   */
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
  } finally {
    if (m.counter) m.counter.lastAnswerAt = performance.now()
  }
}
