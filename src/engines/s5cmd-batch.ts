import type { CopyItem } from './types.ts'

/** Single-quotes a word for s5cmd's shell-style line splitter: only "'" needs escaping. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`
}

export const s3Url = (bucket: string, key: string) => `s3://${bucket}/${key}`

/**
 * One `cp` line per item. `--raw` stops s5cmd from expanding * and ? in keys;
 * `--metadata-directive COPY` keeps content type and user metadata.
 */
export function batchLine(item: CopyItem, sourceBucket: string, destBucket: string): string {
  const src = shellQuote(s3Url(sourceBucket, item.key))
  const dst = shellQuote(s3Url(destBucket, item.destKey))
  return `cp --raw --metadata-directive COPY ${src} ${dst}`
}

export interface S5cmdResult {
  source?: string
  ok: boolean
  error?: string
  /** For failures: "cp SRC DST" as s5cmd prints it. */
  command?: string
}

/** Parses s5cmd's --json output lines (results on stdout, errors on stderr). */
export function parseS5cmdJson(text: string): S5cmdResult[] {
  const results: S5cmdResult[] = []
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue
    let m: any
    try {
      m = JSON.parse(line)
    } catch {
      continue
    }
    if (m.success === true && typeof m.source === 'string') results.push({ source: m.source, ok: true })
    else if (typeof m.error === 'string') results.push({ ok: false, error: m.error, command: m.command })
  }
  return results
}
