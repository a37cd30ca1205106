import type { ErrorClass, Plugin } from '../src/index.ts'

/** Errors worth another try: throttling, server trouble, the network (classes of the error table, src/api/error-classes.ts). */
const RETRIED: ErrorClass[] = ['throttled', 'transient', 'network']

/**
 * Per item: retries throttling, 5xx and network errors (the runner backs off exponentially
 * with jitter, longer on SlowDown), and reroutes items that cannot be copied server-side to a
 * traditional copy when the job's mode is `auto`.
 */
export function fallback(options: { retries?: number } = {}): Plugin {
  return {
    name: 'lakesync:fallback',
    onItemError({ job, errorClasses, status, attempt, mode, requestedMode }) {
      const retries = options.retries ?? job.retries
      // Before the 5xx rule: a 501 NotImplemented will not change on a retry.
      const noServerSide = errorClasses.includes('noServerSideCopy') || status === 501 || status === 403
      if (noServerSide) return mode === 'direct' && requestedMode === 'auto' ? 'fallback' : null
      if ((errorClasses.some((c) => RETRIED.includes(c)) || (status ?? 0) >= 500) && attempt < retries) return 'retry'
      return null
    },
  }
}
