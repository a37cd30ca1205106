import type { JobProgress, JobSummary } from '../api/events.ts'

/** Seconds of answered copies the rate is taken over: steady, yet quick to follow a change. */
const RATE_WINDOW_S = 5

/**
 * The figures of a running job that its summary does not hold yet: what was planned, what is
 * in flight, what the server already answered. The executor moves them; `snapshot` adds the
 * summary's final counts, the rate and the ETA.
 */
export class ProgressMeter {
  listed = 0
  toCopy = 0
  /** Copies started and not yet final: the executor's own count. */
  inFlight: () => number = () => 0
  answered = 0
  answeredBytes = 0
  listingDone = false
  /** The adaptive limit now, when the job has one. */
  limit: () => number | undefined = () => undefined
  /** Throttled answers so far. */
  throttled: () => number = () => 0
  private readonly started: number
  // The start is the first sample, so the first report (a second in) already has a rate.
  private readonly samples: { at: number; answered: number; bytes: number }[]

  /** `clock`: milliseconds, performance.now() unless a test sets the time. */
  constructor(private readonly clock: () => number = () => performance.now()) {
    this.started = clock()
    this.samples = [{ at: this.started, answered: 0, bytes: 0 }]
  }

  snapshot(job: string, summary: Pick<JobSummary, 'copied' | 'failed' | 'skipped' | 'bytesCopied'>): JobProgress {
    const now = this.clock()
    this.samples.push({ at: now, answered: this.answered, bytes: this.answeredBytes })
    while (this.samples.length > 2 && now - this.samples[0]!.at > RATE_WINDOW_S * 1000) this.samples.shift()
    const first = this.samples[0]!
    const span = (now - first.at) / 1000
    const objectsPerSecond = span > 0 ? (this.answered - first.answered) / span : 0
    const bytesPerSecond = span > 0 ? (this.answeredBytes - first.bytes) / span : 0
    const remaining = this.toCopy - this.answered - summary.failed
    return {
      job, seconds: (now - this.started) / 1000, listed: this.listed, toCopy: this.toCopy, skipped: summary.skipped, inFlight: this.inFlight(),
      ...(this.limit() !== undefined ? { limit: this.limit() } : {}), throttled: this.throttled(),
      answered: this.answered, copied: summary.copied, failed: summary.failed, bytesCopied: summary.bytesCopied,
      objectsPerSecond: Math.round(objectsPerSecond * 10) / 10, bytesPerSecond: Math.round(bytesPerSecond), listingDone: this.listingDone,
      ...(this.listingDone && objectsPerSecond > 0 ? { etaSeconds: Math.ceil(Math.max(0, remaining) / objectsPerSecond) } : {}),
    }
  }
}
