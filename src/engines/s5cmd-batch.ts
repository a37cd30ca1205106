import { shellQuote } from '../util/shell-quote.ts'
import type { CopyItem } from './types.ts'
import type { ResolvedJob } from '../api/config.ts'
import { serviceOf } from '../config/service.ts'

export const s3Url = (bucket: string, key: string) => `s3://${bucket}/${key}`

/**
 * One `cp` line per item. `--raw` stops s5cmd from expanding * and ? in keys;
 * `--metadata-directive COPY` keeps content type and user metadata; `regionFlags` (s5cmdRegions)
 * send each side's requests to its bucket's region.
 */
/** The code and HTTP status of an s5cmd error line ("AccessDenied: ... status code: 403"). */
export function classifyS5cmdError(line: string): { code?: string; status?: number } {
  const code = /^([A-Za-z][A-Za-z0-9]+):/.exec(line)?.[1]
  const status = /status code: (\d{3})/.exec(line)?.[1]
  return { code, status: status ? Number(status) : undefined }
}

/** Keys that may travel in an s5cmd batch line without changing on the way. */
export function isBatchSafeKey(key: string): boolean {
  // s5cmd trims lines and splits on newlines; a trailing "/" makes it treat the key as a prefix.
  return !/[\r\n\0]/.test(key) && !key.endsWith('/') && key !== ''
}

export function batchLine(item: Pick<CopyItem, 'key' | 'destKey'>, sourceBucket: string, destBucket: string, regionFlags = ''): string {
  const src = shellQuote(s3Url(sourceBucket, item.key))
  const dst = shellQuote(s3Url(destBucket, item.destKey))
  return `cp --raw --metadata-directive COPY ${regionFlags}${src} ${dst}`
}

/**
 * On AWS, `--source-region R --destination-region R ` for a job whose buckets were placed in
 * their regions (route/bucket-regions.ts): s5cmd would otherwise ask each bucket's region itself
 * or send everything to AWS_REGION. Elsewhere nothing: one endpoint serves every bucket.
 */
export function s5cmdRegions(job: Pick<ResolvedJob, 'source' | 'destination'>): string {
  const from = job.source.connection.region
  const to = job.destination.connection.region
  if (!serviceOf(job.destination.connection).aws || !from || !to) return ''
  return `--source-region ${shellQuote(from)} --destination-region ${shellQuote(to)} `
}

export interface S5cmdResult {
  ok: boolean
  source?: string
  error?: string
  /** For failures: "cp SRC DST" as s5cmd prints it. */
  command?: string
}

/** Parses one line of s5cmd's --json output: a result (stdout) or an error (stderr). */
export function parseS5cmdLine(line: string): S5cmdResult | undefined {
  if (!line.startsWith('{')) return undefined
  let m: any
  try {
    m = JSON.parse(line)
  } catch {
    return undefined
  }
  if (m.success === true && typeof m.source === 'string') return { ok: true, source: m.source }
  if (typeof m.error === 'string') return { ok: false, error: m.error, command: m.command }
  return undefined
}
