/** Where a job's adaptive limit starts: enough for a loopback or in-region server, quickly doubled from there. */
export const ADAPTIVE_START = 16

/** A latency this many times its floor means requests queue somewhere: the limit backs off. */
const LATENCY_TOLERANCE = 2
/** Rounds whose median latencies give the floor: old enough to forget a faster past route. */
const FLOOR_ROUNDS = 50
/** The multiplicative decrease after congestion; (1 + BACKOFF) / 2 is the mean use of the ceiling, 95%. */
const BACKOFF = 0.9
/** The deepest cut at once, when most answers since the last decision were SlowDown (a ceiling that fell). */
const DEEPEST = 0.5
/** Within this share of the limit where the last SlowDown came, growth slows to PLATEAU of its pace. */
const NEAR = 0.05
const PLATEAU = 1 / 8
/** A round whose copies filled at least this share of the limit asked for more: only then does it grow. */
const FULL = 0.9

/**
 * How many copies a job keeps in flight when its concurrency is not fixed. S3 answers overload
 * with 503 SlowDown (per partitioned prefix: ~3,500 writes a second) while its latency stays flat
 * until then, so the rule is TCP Reno's, on requests instead of bytes:
 *
 * - slow start: the limit doubles each round (a round is `limit` copies, about one round trip)
 *   until the first sign of congestion, which halves it (the round before was fine);
 * - then AIMD: a round that used the limit adds 1% (at least one copy); a SlowDown, or a round
 *   whose median latency is above twice the floor (the least median of recent rounds: requests
 *   queue somewhere), takes it to 90%, once per round. Near the limit where the last SlowDown
 *   came (±5%) it grows at an eighth of that pace, as CUBIC does near its last loss: each probe
 *   of the ceiling costs a few throttled requests (a request rate is never smooth), so the
 *   ceiling is probed every few seconds instead of every second. When a larger share of the
 *   answers since the last decision said SlowDown (the ceiling fell: the work left sits in fewer
 *   partitions), the cut is that share, down to half.
 *
 * A gradient rule (Netflix's concurrency-limits) follows latency alone, and S3 shows no latency
 * rise before it throttles; AIMD reacts to the signal S3 gives. The limit stays within
 * [1, max], max being the job's `maxConcurrency` under the host's open-file limit.
 */
export class AdaptiveLimit {
  private current: number
  private highest: number
  private slowStart = true
  private round: number[] = []
  private roundFull = false
  private readonly medians: number[] = []
  private throttlesSeen: number
  /** The limit when the last SlowDown came. */
  private throttledAt = 0
  /** Copies left in the round that follows a decrease: their answers speak of the old limit. */
  private holdOff = 0
  /** Answers and SlowDowns since the last decrease: their ratio sizes the next cut. */
  private since = { answers: 0, throttles: 0 }
  /** Decreases so far, and what caused them (for the summary and the tests). */
  readonly backoffs = { throttled: 0, latency: 0 }

  /** `throttles`: the job's count of throttled answers so far (every request, each attempt). */
  constructor(private readonly o: { max: number; throttles: () => number; start?: number }) {
    this.current = Math.min(o.max, o.start ?? ADAPTIVE_START)
    this.throttlesSeen = o.throttles()
    this.highest = this.current
  }

  /** The highest limit so far. */
  get peak(): number {
    return Math.floor(this.highest)
  }

  /** Copies allowed in flight now. */
  get limit(): number {
    return Math.floor(this.current)
  }

  /** A copy ended after `latencyMs`, with `inFlight` copies out (itself included). */
  sample(latencyMs: number, inFlight: number): void {
    const throttles = this.o.throttles()
    this.since.answers++
    if (throttles > this.throttlesSeen) {
      this.since.throttles += throttles - this.throttlesSeen
      this.throttlesSeen = throttles
      if (this.holdOff <= 0) return this.decrease('throttled')
    }
    if (this.holdOff > 0) return void this.holdOff--
    this.round.push(latencyMs)
    if (inFlight >= this.limit * FULL) this.roundFull = true
    if (this.round.length >= this.limit) this.endRound()
  }

  private endRound() {
    const median = this.round.sort((a, b) => a - b)[this.round.length >> 1]!
    this.medians.push(median)
    if (this.medians.length > FLOOR_ROUNDS) this.medians.shift()
    const floor = Math.min(...this.medians)
    const full = this.roundFull
    this.round = []
    this.roundFull = false
    if (median > floor * LATENCY_TOLERANCE) return this.decrease('latency')
    if (!full) return
    const near = Math.abs(this.current - this.throttledAt) <= this.throttledAt * NEAR
    const step = Math.max(1, this.current / 100) * (near ? PLATEAU : 1)
    this.current = Math.min(this.o.max, this.slowStart ? this.current * 2 : this.current + step)
    this.highest = Math.max(this.highest, this.current)
  }

  private decrease(cause: keyof AdaptiveLimit['backoffs']) {
    this.backoffs[cause]++
    if (cause === 'throttled') this.throttledAt = this.current
    const share = this.since.throttles / (this.since.answers + this.since.throttles)
    const cut = this.slowStart ? DEEPEST : Math.max(DEEPEST, Math.min(BACKOFF, 1 - share))
    this.current = Math.max(1, this.current * cut)
    this.since = { answers: 0, throttles: 0 }
    this.slowStart = false
    this.round = []
    this.roundFull = false
    this.holdOff = this.limit
  }
}
