import type { Shard } from '../api/config.ts'
import { ConfigError } from '../api/errors.ts'
import { compareKeys } from '../storage/keys.ts'
import { splitPoints, type KeySpan, type Lister } from '../list/list-parallel.ts'

export interface ShardOptions {
  /** `K/N`, or `auto` to read the scheduler's variables. */
  shard?: string
  /** N for `--shard auto` where the scheduler does not give it (Kubernetes Indexed Jobs). */
  shardCount?: number
  runId?: string
}

/** The schedulers `--shard auto` understands: where each puts the worker's index and, if it does, the count. */
const SCHEDULERS = [
  { name: 'Kubernetes Indexed Job', index: 'JOB_COMPLETION_INDEX' },
  { name: 'AWS Batch array job', index: 'AWS_BATCH_JOB_ARRAY_INDEX', count: 'AWS_BATCH_JOB_ARRAY_SIZE' },
] as const

/**
 * The shard a run copies, from `--shard K/N` or `--shard auto`, or undefined for the whole job.
 * Every problem is a usage error (exit 2): a worker that guessed its part would copy another's.
 */
export function resolveShard(o: ShardOptions, jobNames: readonly string[], env = process.env, now = new Date()): Shard | undefined {
  if (o.shard === undefined) {
    if (o.shardCount !== undefined || o.runId !== undefined) throw new ConfigError([`--${o.runId !== undefined ? 'run-id' : 'shard-count'} is for sharded runs: add --shard K/N or --shard auto`])
    return undefined
  }
  const { index, count } = o.shard === 'auto' ? fromScheduler(o, env) : parseSpec(o.shard)
  if (!(Number.isInteger(count) && count >= 1 && count <= 10_000)) throw new ConfigError([`--shard: the shard count must be a whole number from 1 to 10,000, got ${count}`])
  if (!(Number.isInteger(index) && index >= 0 && index < count)) throw new ConfigError([`--shard: index ${index} is out of range for ${count} shards (0 to ${count - 1})`], 'shard indexes are 0-based: --shard 0/4 … --shard 3/4')
  return { index, count, runId: o.runId ?? defaultRunId(jobNames, env, now) }
}

function parseSpec(spec: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(spec.trim())
  if (!m) throw new ConfigError([`--shard: expected K/N (the K-th of N shards, 0-based) or auto, got ${JSON.stringify(spec)}`], 'for example --shard 0/4, or --shard auto under a Kubernetes Indexed Job or an AWS Batch array job')
  return { index: Number(m[1]), count: Number(m[2]) }
}

function fromScheduler(o: ShardOptions, env: NodeJS.ProcessEnv): { index: number; count: number } {
  const scheduler = SCHEDULERS.find((s) => env[s.index] !== undefined && env[s.index] !== '')
  if (!scheduler) {
    throw new ConfigError(
      [`--shard auto: no scheduler index in the environment (${SCHEDULERS.map((s) => `${s.index} for a ${s.name}`).join(', ')})`],
      'run under one of those schedulers, or name the shard: --shard K/N',
    )
  }
  const raw = env[scheduler.index]!
  if (!/^\d+$/.test(raw)) throw new ConfigError([`--shard auto: ${scheduler.index} is ${JSON.stringify(raw)}, not a whole number`])
  const given = ('count' in scheduler ? env[scheduler.count] : undefined) || (o.shardCount !== undefined ? String(o.shardCount) : undefined) || env.LAKESYNC_SHARD_COUNT
  if (given === undefined) throw new ConfigError([`--shard auto: ${scheduler.index} gives this worker's index (${raw}), but nothing gives the shard count`], 'pass --shard-count N or set LAKESYNC_SHARD_COUNT (a Kubernetes Indexed Job: its completions)')
  if (!/^\d+$/.test(given)) throw new ConfigError([`--shard auto: the shard count ${JSON.stringify(given)} is not a whole number`])
  return { index: Number(raw), count: Number(given) }
}

/**
 * What the shards of one scheduled run share without talking: LAKESYNC_RUN_ID (a Kubernetes
 * Job passes its name), else an AWS Batch array job's id (a child's is `PARENT:INDEX`), else
 * the jobs and the UTC day (a daily schedule starts all shards on the same day).
 */
function defaultRunId(jobNames: readonly string[], env: NodeJS.ProcessEnv, now: Date): string {
  if (env.LAKESYNC_RUN_ID) return env.LAKESYNC_RUN_ID
  if (env.AWS_BATCH_JOB_ID) return env.AWS_BATCH_JOB_ID.split(':')[0]!
  return `${jobNames.join('+')}@${now.toISOString().slice(0, 10)}`
}

/**
 * A name's shard (FNV-1a of its UTF-8 bytes): a Binance series goes wholly to one shard, the
 * same one for every worker and every day, whatever other series exist.
 */
export function shardOfName(name: string, count: number): number {
  let hash = 0x811c9dc5
  for (const byte of new TextEncoder().encode(name)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0
  return hash % count
}

/**
 * A plain prefix's shard: one whole key range, cut where the parallel listing cuts (folders and
 * keys of the prefix's top levels, spaced evenly). Every worker lists those levels and takes the
 * same cuts, so the spans join end to end: none lost, none twice. `empty` when the prefix has
 * fewer cut points than shards.
 */
export async function shardSpan(lister: Lister, prefix: string, shard: Pick<Shard, 'index' | 'count'>): Promise<KeySpan | 'empty'> {
  if (shard.count === 1) return {}
  const cuts = [...new Set(await splitPoints(lister, prefix, shard.count))].sort(compareKeys)
  // Fewer cuts than shards: the first ones take a range each, the rest nothing.
  if (shard.index > cuts.length) return 'empty'
  const after = cuts[shard.index - 1]
  const through = cuts[shard.index]
  return { ...(after !== undefined ? { after } : {}), ...(through !== undefined ? { through } : {}) }
}

/** Where a source span lands at the destination, for jobs whose keys keep their order there. */
export function mapSpan(span: KeySpan, mapKey: (sourceKey: string) => string): KeySpan {
  return { ...(span.after !== undefined ? { after: mapKey(span.after) } : {}), ...(span.through !== undefined ? { through: mapKey(span.through) } : {}) }
}
