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

/**
 * Every error code lakesync decides on, by what it means. The one table behind the retry rule
 * (the fallback plugin: throttled, transient and network errors are retried), the backoff
 * (longer when throttled), the reroute to a traditional copy (no server-side copy), the job
 * stop (identity refused) and the preflight's words (access refused, network).
 */
export const ERROR_CLASSES = {
  /** The server asks for fewer requests: retried after a longer backoff. */
  throttled: ['SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequests'],
  /** Server trouble, or a copy that did not land whole: retried. */
  transient: ['RequestTimeout', 'RequestTimeTooSkewed', 'InternalError', 'ServiceUnavailable', 'SizeMismatch'],
  /** The connection, not the server's answer: retried (and at preflight: "unreachable"). */
  network: ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'EPIPE', 'TimeoutError'],
  /** This copy cannot be server-side here: in auto mode it goes through the host. */
  noServerSideCopy: ['AccessDenied', 'NotImplemented', 'XNotImplemented', 'CrossLocationLoggingProhibited', 'InvalidRequest'],
  /** Refusals of the identity itself, not of one object: every later request would be refused the same way (expired session keys, a deleted access key), so the job stops at the first. */
  identityRefused: ['ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired', 'InvalidToken', 'InvalidAccessKeyId'],
  /** At preflight: the credentials or the bucket policy. */
  accessRefused: ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'InvalidToken', 'ExpiredToken', 'CredentialsProviderError', 'Forbidden'],
} as const

export type ErrorClass = keyof typeof ERROR_CLASSES
const byClass = Object.fromEntries(Object.entries(ERROR_CLASSES).map(([name, codes]) => [name, new Set<string>(codes)])) as Record<ErrorClass, Set<string>>

/** Whether an error code is of a class of the table. */
export const isOfClass = (cls: ErrorClass, code: string | undefined): boolean => code !== undefined && byClass[cls].has(code)

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
