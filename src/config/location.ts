import type { S3Location } from '../api/config.ts'

export interface BucketPrefix {
  bucket: string
  prefix: string
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/** Parses `s3://bucket/` or `s3://bucket/prefix/`; returns a problem text instead of throwing. */
export function parseS3Url(url: string): BucketPrefix | string {
  const expected = `expected s3://bucket/prefix/, got ${JSON.stringify(url)}`
  if (typeof url !== 'string' || !url.startsWith('s3://')) return expected
  const rest = url.slice('s3://'.length)
  const slash = rest.indexOf('/')
  const bucket = slash < 0 ? rest : rest.slice(0, slash)
  const prefix = slash < 0 ? '' : rest.slice(slash + 1)
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    return `${expected}: "${bucket}" is not a valid bucket name (3-63 lowercase letters, digits, dots, hyphens)`
  }
  if (prefix !== '' && !prefix.endsWith('/')) {
    return `${expected}: a prefix must end with "/" (write "s3://${bucket}/${prefix}/")`
  }
  if (prefix.startsWith('/')) return `${expected}: the prefix must not start with "/"`
  return { bucket, prefix }
}

export function formatS3Url(bucket: string, prefix: string): string {
  return `s3://${bucket}/${prefix}`
}

/** `s3('s3://bucket/prefix/', { connection })`: a location on a named connection. */
export function s3(url: string, options: { connection?: string } = {}): S3Location {
  return { kind: 's3', url, ...options }
}
