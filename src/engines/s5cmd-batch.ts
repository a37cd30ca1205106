import { shellQuote } from '../util/shell-quote.ts'
import type { CopyItem } from './types.ts'

export const s3Url = (bucket: string, key: string) => `s3://${bucket}/${key}`

/**
 * One `cp` line per item. `--raw` stops s5cmd from expanding * and ? in keys;
 * `--metadata-directive COPY` keeps content type and user metadata.
 */
export function batchLine(item: Pick<CopyItem, 'key' | 'destKey'>, sourceBucket: string, destBucket: string): string {
  const src = shellQuote(s3Url(sourceBucket, item.key))
  const dst = shellQuote(s3Url(destBucket, item.destKey))
  return `cp --raw --metadata-directive COPY ${src} ${dst}`
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
