import { decodeManifestKey } from './manifest.ts'

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

/** RFC 4180 fields: quoted fields may hold commas, doubled quotes and newlines. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"', i++)
      else if (c === '"') quoted = false
      else field += c
    } else if (c === '"' && field === '') quoted = true
    else if (c === ',') (row.push(field), (field = ''))
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      row.push(field)
      rows.push(row)
      row = []
      field = ''
    } else field += c
  }
  if (field !== '' || row.length) (row.push(field), rows.push(row))
  return rows.filter((r) => !(r.length === 1 && r[0] === ''))
}

/**
 * A completion report's rows: Bucket, Key (URL-encoded, as in the manifest), VersionId,
 * TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage. A row that is not one names its line.
 */
export function readReport(text: string): ReportRow[] {
  return parseCsv(text).map((f, i) => {
    const status = f[3]?.toLowerCase()
    if (f.length < 4 || (status !== 'succeeded' && status !== 'failed')) throw new Error(`line ${i + 1} is not a Batch Operations report row (Bucket,Key,VersionId,TaskStatus,…): ${JSON.stringify(f.join(',').slice(0, 200))}`)
    return { bucket: f[0]!, key: decodeManifestKey(f[1]!), versionId: f[2] ?? '', status, errorCode: f[4] ?? '', httpStatus: f[5] ?? '', message: f[6] ?? '' }
  })
}
