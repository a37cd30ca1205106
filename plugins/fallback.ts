import { isOfClass, type Plugin } from '../src/index.ts'

/** Errors worth another try: throttling, server trouble, the network (the error table's classes, src/storage/errors.ts). */
const worthRetry = (code: string | undefined) => isOfClass('throttled', code) || isOfClass('transient', code) || isOfClass('network', code)

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
      const noServerSide = isOfClass('noServerSideCopy', code) || status === 501 || status === 403
      if (noServerSide) return mode === 'direct' && requestedMode === 'auto' ? 'fallback' : null
      if ((worthRetry(code) || (status ?? 0) >= 500) && attempt < retries) return 'retry'
      return null
    },
  }
}
