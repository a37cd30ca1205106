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
  /** A request the server accepted and left silent: retried, and the run says which item waited. */
  timeout: ['TimeoutError', 'ETIMEDOUT', 'RequestTimeout'],
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

/** Every class of the table an error code is of (AccessDenied is both no server-side copy and access refused). */
export const classesOf = (code: string | undefined): ErrorClass[] => (Object.keys(ERROR_CLASSES) as ErrorClass[]).filter((cls) => isOfClass(cls, code))
