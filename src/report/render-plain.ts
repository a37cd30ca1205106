import { printableKey } from '../util/printable.ts'
import type { LakesyncEvent } from '../api/events.ts'
import { batchResult, bytes, gapLines, int, progressLine, shardText, summaryLines } from './format.ts'

/** Progress lines in logs (cron, CI): one every this often at most, per job. */
const PROGRESS_EVERY_MS = 30_000

/** Plain lines for logs and pipes: one per job, decision and batch, a progress line every 30 s; items only when they fail (or with verbose). */
export function plainRenderer(write: (line: string) => void, options: { verbose?: boolean; listItems?: boolean } = {}) {
  const lastProgress = new Map<string, number>()
  return (e: LakesyncEvent) => {
    switch (e.type) {
      case 'job-start': return write(`${e.job}: ${e.source} -> ${e.destination}${shardText(e.shard)}`)
      case 'decision': return write(`${e.job}: mode ${e.mode}, engine ${e.engine} (${e.reason})`)
      case 'progress': {
        const last = lastProgress.get(e.job) ?? 0
        if (e.seconds * 1000 - last < PROGRESS_EVERY_MS) return
        lastProgress.set(e.job, e.seconds * 1000)
        return write(`${e.job}: ${progressLine(e)}`)
      }
      case 'batch-start': return write(`${e.job}: batch ${e.batch}: started, ${e.engine}`)
      case 'batch-end': return write(`${e.job}: batch ${e.batch}: ${batchResult(e)}`)
      case 'item':
        if (e.action === 'failed') return write(`${e.job}: FAILED ${printableKey(e.key)}: ${e.error}`)
        if (options.verbose || options.listItems) return write(`${e.job}: ${e.action} ${printableKey(e.key)} (${e.reason})`)
        return
      case 'warning': return write(`warning: ${e.job ? `${e.job}: ` : ''}${e.message}`)
      case 'gaps': return gapLines(e).forEach((l) => write(l))
      case 'bench-end': return
      case 'job-end': return summaryLines(e).forEach((l) => write(l))
      default: { const never: never = e; return never }
    }
  }
}

/** NDJSON: every event, one per line, for machines. */
export function jsonRenderer(write: (line: string) => void) {
  return (e: LakesyncEvent) => write(JSON.stringify(e))
}
