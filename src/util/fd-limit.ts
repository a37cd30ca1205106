import { readFileSync } from 'node:fs'

/** This process's open-file limit (soft and hard), from /proc/self/limits; undefined where there is none (macOS) or it is unlimited. */
export function openFileLimit(text = readLimits()): { soft: number; hard: number } | undefined {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text ?? '')
  if (!m || m[1] === 'unlimited') return undefined
  return { soft: Number(m[1]), hard: m[2] === 'unlimited' ? Infinity : Number(m[2]) }
}

function readLimits(): string | undefined {
  try {
    return readFileSync('/proc/self/limits', 'utf8')
  } catch {
    return undefined
  }
}

/** Descriptors a copy in flight may hold at once: a traditional copy's GET and PUT sockets and a staged copy's temp file. */
const PER_COPY = 3
/** Kept for the rest: listings, the journal, the lock, s5cmd's pipes, the runtime's own. */
const RESERVE = 128

/**
 * The concurrency a job can run at under the open-file limit, and why it is lower than asked.
 * Node cannot raise its own limit, so a concurrency above what the limit allows is lowered
 * (instead of failing mid-run with EMFILE, listings and all).
 */
export function concurrencyWithinLimit(asked: number, limit = openFileLimit()): { concurrency: number; why?: string } {
  if (!limit) return { concurrency: asked }
  const fits = Math.max(1, Math.floor((limit.soft - RESERVE) / PER_COPY))
  if (asked <= fits) return { concurrency: asked }
  const needed = asked * PER_COPY + RESERVE
  const raise = limit.hard > limit.soft ? ` (\`ulimit -n ${Math.min(limit.hard, needed)}\` before the run; the hard limit is ${limit.hard === Infinity ? 'unlimited' : limit.hard})` : ' (the hard limit too: raise it, for example LimitNOFILE= in a systemd unit)'
  return { concurrency: fits, why: `--concurrency ${asked} needs about ${needed} open files, and this process may open ${limit.soft}: running at concurrency ${fits}; raise the limit to go higher${raise}` }
}
