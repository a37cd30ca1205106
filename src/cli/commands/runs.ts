import { ConfigError, EXIT_MEANING, ExitCode } from '../../api/errors.ts'
import { DEFAULTS } from '../../config/resolve.ts'
import { pruneRuns } from '../../state/prune.ts'
import { listRuns, stateDir, type RunInfo } from '../../state/journal.ts'
import { groupShards, type ShardedRun } from '../../state/shard-runs.ts'
import { int } from '../../report/format.ts'
import { out } from '../../util/redact.ts'

/** `lakesync runs`: past runs from their journals, newest first, with their outcome; sharded runs grouped by run id. */
export async function runs(o: { json?: boolean; limit?: number; prune?: boolean; keep?: number; runId?: string }): Promise<number> {
  if (o.prune) {
    const keep = o.keep ?? DEFAULTS.keepRuns
    if (!(Number.isInteger(keep) && keep >= 1)) throw new ConfigError([`--keep: expected a whole number of runs, 1 or more, got ${o.keep}`])
    const { removed, kept } = await pruneRuns(() => keep, stateDir())
    out.line(`pruned ${int(removed)} run journal(s) in ${stateDir()}, kept ${int(kept)} (the newest ${keep} of each job)`)
    return ExitCode.ok
  }
  const everything = await listRuns()
  if (o.runId !== undefined) return shardedRun(o.runId, everything, Boolean(o.json))
  const all = everything.slice(0, o.limit ?? 20)
  if (o.json) {
    for (const r of all) out.line(JSON.stringify(r))
    return ExitCode.ok
  }
  if (!all.length) out.line(`no runs recorded yet in ${stateDir()}`)
  const groups = new Map(groupShards(everything).map((g) => [g.runId, g]))
  const shown = new Set<string>()
  for (const r of all) {
    const group = r.shard && groups.get(r.shard.runId)
    if (group && !shown.has(group.runId)) {
      shown.add(group.runId)
      out.line(groupLine(group))
    }
    out.line(`${group ? '  ' : ''}${runLine(r)}`)
  }
  return ExitCode.ok
}

function runLine(r: RunInfo): string {
  const outcome = r.exitCode === undefined ? 'incomplete (killed?)' : EXIT_MEANING[r.exitCode] ?? `exit ${r.exitCode}`
  const shard = r.shard ? `shard ${r.shard.index}/${r.shard.count}  ` : ''
  return `${r.startedAt}  ${shard}${outcome.padEnd(20)} copied ${int(r.copied)}, skipped ${int(r.skipped)}, failed ${int(r.failed)}${r.deleted ? `, deleted ${int(r.deleted)}` : ''}  [${r.jobs.join(', ')}]  ${r.file}`
}

function groupLine(g: ShardedRun): string {
  const problems = [g.missing.length ? `missing ${g.missing.join(', ')}` : '', g.failed.length ? `failed ${g.failed.join(', ')}` : ''].filter(Boolean)
  return `run ${g.runId}: ${g.shards.size} of ${g.count} shards recorded${problems.length ? `; ${problems.join('; ')}` : ', all ok'}`
}

/** `runs --run-id R`: one sharded run's state; exit 0 only when every shard ran and ended ok (for an orchestrator to check). */
function shardedRun(runId: string, all: readonly RunInfo[], json: boolean): number {
  const group = groupShards(all).find((g) => g.runId === runId)
  if (!group) throw new ConfigError([`--run-id: no sharded run named ${JSON.stringify(runId)} in ${stateDir()}`], 'lakesync runs lists the run ids it knows; shards on other hosts record their journals there, not here')
  if (json) {
    out.line(JSON.stringify({ runId, count: group.count, complete: group.complete, missing: group.missing, failed: group.failed, shards: [...group.shards.values()].sort((a, b) => a.shard!.index - b.shard!.index) }))
  } else {
    out.line(groupLine(group))
    for (const r of [...group.shards.values()].sort((a, b) => a.shard!.index - b.shard!.index)) out.line(`  ${runLine(r)}`)
  }
  return group.complete ? ExitCode.ok : ExitCode.itemsFailed
}
