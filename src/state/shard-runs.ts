import type { RunInfo } from './journal.ts'

/** The shards of one run id, as their journals in this state dir tell it. */
export interface ShardedRun {
  runId: string
  /** The shard count the journals name (the largest, should they disagree). */
  count: number
  /** Each shard's latest journal: a shard run again after a failure counts by its last try. */
  shards: Map<number, RunInfo>
  /** Indexes with no journal here. */
  missing: number[]
  /** Indexes whose latest run did not end with exit 0 (killed runs included). */
  failed: number[]
  /** Every shard ran, and each last run ended ok. */
  complete: boolean
}

/** Groups sharded runs by run id, newest run id first (as `runs` is sorted newest first). */
export function groupShards(runs: readonly RunInfo[]): ShardedRun[] {
  const groups = new Map<string, RunInfo[]>()
  for (const r of runs) if (r.shard) groups.set(r.shard.runId, [...(groups.get(r.shard.runId) ?? []), r])
  return [...groups].map(([runId, members]) => {
    const count = Math.max(...members.map((m) => m.shard!.count))
    const shards = new Map<number, RunInfo>()
    // Newest first: the first journal seen for an index is its latest try.
    for (const m of members) if (!shards.has(m.shard!.index)) shards.set(m.shard!.index, m)
    const indexes = Array.from({ length: count }, (_, i) => i)
    const missing = indexes.filter((i) => !shards.has(i))
    const failed = indexes.filter((i) => shards.has(i) && shards.get(i)!.exitCode !== 0)
    return { runId, count, shards, missing, failed, complete: !missing.length && !failed.length }
  })
}
