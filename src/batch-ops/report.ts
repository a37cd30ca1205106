import { decodeManifestKey } from './manifest.ts'
import { cutText } from '../util/printable.ts'

/** One task of a Batch Operations completion report (format Report_CSV_20180820). */
export interface ReportRow {
  bucket: string
  key: string
  versionId: string
  status: 'succeeded' | 'failed'
  errorCode: string
  httpStatus: string
  message: string
}

/**
 * RFC 4180 rows from text that arrives in chunks (a report of 10^8 tasks is never held whole):
 * quoted fields may hold commas, doubled quotes and line breaks, and a chunk may end anywhere.
 */
export async function* csvRows(chunks: AsyncIterable<string> | Iterable<string>): AsyncGenerator<string[]> {
  let row: string[] = []
  let field = ''
  let quoted = false
  let quoteMayClose = false // a quote inside a quoted field: the end of it, or the first of a doubled pair
  let skipLf = false // the line ended on \r: a \n right after it belongs to that line break
  const endRow = () => {
    row.push(field)
    const done = row
    row = []
    field = ''
    return done
  }
  for await (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!
      if (skipLf) {
        skipLf = false
        if (c === '\n') continue
      }
      if (quoteMayClose) {
        quoteMayClose = false
        if (c === '"') {
          field += '"'
          continue
        }
        quoted = false
      }
      if (quoted) {
        if (c === '"') quoteMayClose = true
        else field += c
      } else if (c === '"' && field === '') quoted = true
      else if (c === ',') (row.push(field), (field = ''))
      else if (c === '\n' || c === '\r') {
        skipLf = c === '\r'
        const done = endRow()
        if (!(done.length === 1 && done[0] === '')) yield done
      } else field += c
    }
  }
  if (field !== '' || row.length) yield endRow()
}

/**
 * A completion report's rows: Bucket, Key (URL-encoded, as in the manifest), VersionId,
 * TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage. A row that is not one names its line.
 */
export async function* reportRows(chunks: AsyncIterable<string> | Iterable<string>): AsyncGenerator<ReportRow> {
  let line = 0
  for await (const f of csvRows(chunks)) {
    line++
    const status = f[3]?.toLowerCase()
    if (f.length < 4 || (status !== 'succeeded' && status !== 'failed')) throw new Error(`row ${line} is not a Batch Operations report row (Bucket,Key,VersionId,TaskStatus,…): ${JSON.stringify(cutText(f.join(','), 200))}`)
    yield { bucket: f[0]!, key: decodeManifestKey(f[1]!), versionId: f[2] ?? '', status, errorCode: f[4] ?? '', httpStatus: f[5] ?? '', message: f[6] ?? '' }
  }
}
