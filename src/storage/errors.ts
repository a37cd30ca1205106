/** One line describing an S3 or network error, with no request details that could carry secrets. */
export function describeS3Error(error: unknown): string {
  const e = error as any
  const code = e?.name && e.name !== 'Error' ? e.name : e?.Code ?? e?.code
  const status = e?.$okStatus ? `HTTP ${e.$okStatus} with an error in its body` : e?.$metadata?.httpStatusCode ? `HTTP ${e.$metadata.httpStatusCode}` : undefined
  const message = String(e?.message ?? error).split('\n')[0] ?? ''
  const parts = [code, status].filter(Boolean).join(', ')
  return parts && !message.startsWith(String(code)) ? `${message} (${parts})` : message
}

/** The error's S3 code or Node network code. */
export function errorCode(error: unknown): string | undefined {
  const e = error as any
  return e?.Code ?? e?.code ?? e?.cause?.code ?? (e?.name !== 'Error' ? e?.name : undefined)
}

/** The code and HTTP status of an SDK error. */
export function classify(error: unknown): { code?: string; status?: number } {
  return { code: errorCode(error), status: (error as any)?.$metadata?.httpStatusCode }
}

/**
 * A listing page that cannot be trusted to be complete: a body that is not a ListBucketResult,
 * a truncated page without a continuation token, or a token that does not advance. The SDK
 * retries it (the `$retryable` trait) like a 5xx; if it persists, the listing fails instead of
 * ending early, since a listing that ends early would make every later key look absent (and
 * --delete delete it).
 */
export class IncompleteListingError extends Error {
  readonly $retryable = {}
  readonly code = 'IncompleteListing'
  constructor(message: string) {
    super(message)
    this.name = 'IncompleteListingError'
  }
}
