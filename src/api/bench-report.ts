/** One mode's figures over all rounds of a benchmark. */
export interface ModeResult {
  mode: string
  /** Wall seconds of each round. */
  seconds: number[]
  medianSeconds: number
  minSeconds: number
  maxSeconds: number
  objectsPerSecond: number
  megabytesPerSecond: number
  /** Requests per round by type, as counted where they were made (SDK middleware, s5cmd results). */
  requests: Record<string, number>
  /** Requests per round by type in the S3 server's own access log (local bench), for comparison. */
  serverRequests?: Record<string, number>
  requestsPerObject: number
  /** Per round; undefined where it cannot be measured (peers). */
  bytesThroughHost?: number
  peakDiskBytes: number
  /** Peak RSS of the process tree above its RSS at the mode's start, max over rounds (src/bench/measure.ts). */
  peakRssBytes: number
  failures: number
}

export interface BenchReport {
  createdAt: string
  command: string
  machine: { cpus: number; cpuModel: string; memoryGiB: number; os: string; node: string }
  versions: Record<string, string>
  parameters: { objects: number; bytesPerObject: number; totalBytes: number; rounds: number; concurrency: number; wan?: { rttMs: number; mbits: number }; source: string; destination: string }
  modes: ModeResult[]
  /** Plain-language comparisons against the staged baseline. */
  verdicts: string[]
}
