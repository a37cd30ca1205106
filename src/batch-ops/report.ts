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

/** A field or row longer than these is no report's (a key is at most 1,024 bytes, ~3 KB URL-encoded): the input is refused, not held. */
export const MAX_FIELD = 16 * 1024
export const MAX_ROW = 64 * 1024

/**
 * RFC 4180 rows from text that arrives in chunks (a report of 10^8 tasks is never held whole):
 * quoted fields may hold commas, doubled quotes and line breaks, and a chunk may end anywhere.
 * Each row comes with the line it starts on. A leading byte-order mark is dropped; a field or row
 * over the limits above (a file of NULs, a quote never closed) throws, naming its line.
 */
export async function* csvRows(chunks: AsyncIterable<string> | Iterable<string>): AsyncGenerator<{ fields: string[]; line: number }> {
  let row: string[] = []
  let field = ''
  let rowLength = 0
  let line = 1
  let rowLine = 1
  let first = true
  let quoted = false
  let quoteMayClose = false // a quote inside a quoted field: the end of it, or the first of a doubled pair
  let skipLf = false // the line ended on \r: a \n right after it belongs to that line break
  const endRow = () => {
    row.push(field)
    const done = { fields: row, line: rowLine }
    row = []
    field = ''
    rowLength = 0
    return done
  }
  for await (let chunk of chunks) {
    if (first && chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1)
    first = false
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!
      if (skipLf) {
        skipLf = false
        if (c === '\n') continue
      }
      if (c === '\n' || c === '\r') line++
      if (quoteMayClose) {
        quoteMayClose = false
        if (c === '"') {
          field += '"'
          continue
        }
        quoted = false
      }
      if (++rowLength > MAX_ROW || field.length >= MAX_FIELD) {
        throw new Error(`row ${rowLine} is longer than any report row (${field.length >= MAX_FIELD ? `a field over ${MAX_FIELD / 1024} KB` : `over ${MAX_ROW / 1024} KB`}${quoted ? ', in a quoted field never closed' : ''})`)
      }
      if (quoted) {
        if (c === '"') quoteMayClose = true
        else field += c
      } else if (c === '"' && field === '') quoted = true
      else if (c === ',') (row.push(field), (field = ''))
      else if (c === '\n' || c === '\r') {
        skipLf = c === '\r'
        const done = endRow()
        rowLine = line
        if (!(done.fields.length === 1 && done.fields[0] === '')) yield done
      } else field += c
    }
  }
  if (quoted && !quoteMayClose) throw new Error(`row ${rowLine}: a quoted field is never closed`)
  if (field !== '' || row.length) yield endRow()
}

/**
 * A completion report's rows: Bucket, Key (URL-encoded, as in the manifest), VersionId,
 * TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage. A row that is not one names its line.
 */
export async function* reportRows(chunks: AsyncIterable<string> | Iterable<string>): AsyncGenerator<ReportRow & { line: number }> {
  for await (const { fields: f, line } of csvRows(chunks)) {
    const status = f[3]?.toLowerCase()
    if (f.length < 4 || (status !== 'succeeded' && status !== 'failed')) throw new Error(`row ${line} is not a Batch Operations report row (Bucket,Key,VersionId,TaskStatus,…): ${JSON.stringify(cutText(f.join(','), 200))}`)
    let key: string
    try {
      key = decodeManifestKey(f[1]!)
    } catch {
      throw new Error(`row ${line}: the key ${JSON.stringify(cutText(f[1]!, 200))} has a malformed %-escape`)
    }
    yield { bucket: f[0]!, key, versionId: f[2] ?? '', status, errorCode: f[4] ?? '', httpStatus: f[5] ?? '', message: f[6] ?? '', line }
  }
}
