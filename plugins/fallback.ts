import type { Plugin } from '../src/index.ts'

/** Errors that mean "no server-side copy here": the bytes must go through the host. */
const NO_SERVER_SIDE_COPY = new Set(['AccessDenied', 'NotImplemented', 'XNotImplemented', 'CrossLocationLoggingProhibited', 'InvalidRequest'])
/** Errors worth another try: throttling, server trouble, the network. */
const TRANSIENT = new Set([
  'SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequests', 'RequestTimeout', 'RequestTimeTooSkewed', 'InternalError',
  'ServiceUnavailable', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'TimeoutError', 'SizeMismatch',
])

/**
 * Per item: retries throttling, 5xx and network errors (the runner backs off exponentially
 * with jitter, longer on SlowDown), and reroutes items that cannot be copied server-side to a
 * traditional copy when the job's mode is `auto`.
 */
export function fallback(options: { retries?: number } = {}): Plugin {
  return {
    name: 'lakesync:fallback',
    onItemError({ job, code, status, attempt, mode, requestedMode }) {
      const retries = options.retries ?? job.retries
      // Before the 5xx rule: a 501 NotImplemented will not change on a retry.
      const noServerSide = NO_SERVER_SIDE_COPY.has(code ?? '') || status === 501 || status === 403
      if (noServerSide) return mode === 'direct' && requestedMode === 'auto' ? 'fallback' : null
      if ((TRANSIENT.has(code ?? '') || (status ?? 0) >= 500) && attempt < retries) return 'retry'
      return null
    },
  }
}
