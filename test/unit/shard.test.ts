import { test } from 'node:test'
import assert from 'node:assert/strict'
import { resolveShard, shardOfName } from '../../src/plan/shard.ts'
import { ConfigError, ExitCode } from '../../src/api/errors.ts'
import { groupShards } from '../../src/state/shard-runs.ts'
import type { RunInfo } from '../../src/state/journal.ts'

const day = new Date('2026-11-26T03:00:00Z')
const usage = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof ConfigError && e.exitCode === ExitCode.usage && message.test(e.message), String(message))

test('--shard K/N names the part; the run id defaults to the jobs and the UTC day', () => {
  assert.deepEqual(resolveShard({ shard: '2/4' }, ['daily'], {}, day), { index: 2, count: 4, runId: 'daily@2026-11-26' })
  assert.deepEqual(resolveShard({ shard: '0/1', runId: 'backfill-1' }, ['a', 'b'], {}, day), { index: 0, count: 1, runId: 'backfill-1' })
  assert.equal(resolveShard({}, ['daily'], { JOB_COMPLETION_INDEX: '3' }), undefined, 'no --shard: the whole job, whatever the environment')
  usage(() => resolveShard({ shard: '4/4' }, ['daily'], {}), /index 4 is out of range for 4 shards \(0 to 3\)/)
  usage(() => resolveShard({ shard: '1/0' }, ['daily'], {}), /shard count must be a whole number from 1/)
  usage(() => resolveShard({ shard: 'two/4' }, ['daily'], {}), /expected K\/N .* or auto, got "two\/4"/)
  usage(() => resolveShard({ shard: '-1/4' }, ['daily'], {}), /expected K\/N/)
  usage(() => resolveShard({ runId: 'x' }, ['daily'], {}), /--run-id is for sharded runs/)
})

test('--shard auto reads Kubernetes Indexed Jobs and AWS Batch array jobs', () => {
  // Kubernetes gives the index; the count comes from --shard-count or LAKESYNC_SHARD_COUNT.
  assert.deepEqual(resolveShard({ shard: 'auto', shardCount: 8 }, ['daily'], { JOB_COMPLETION_INDEX: '5', LAKESYNC_RUN_ID: 'daily-28911' }), { index: 5, count: 8, runId: 'daily-28911' })
  assert.deepEqual(resolveShard({ shard: 'auto' }, ['daily'], { JOB_COMPLETION_INDEX: '0', LAKESYNC_SHARD_COUNT: '4' }, day), { index: 0, count: 4, runId: 'daily@2026-11-26' })
  usage(() => resolveShard({ shard: 'auto' }, ['daily'], { JOB_COMPLETION_INDEX: '1' }), /JOB_COMPLETION_INDEX gives this worker's index \(1\), but nothing gives the shard count/)
  usage(() => resolveShard({ shard: 'auto', shardCount: 4 }, ['daily'], { JOB_COMPLETION_INDEX: '4' }), /index 4 is out of range for 4 shards/)
  // AWS Batch: the index, the size where set, and the parent job's id as the run id.
  assert.deepEqual(resolveShard({ shard: 'auto' }, ['daily'], { AWS_BATCH_JOB_ARRAY_INDEX: '7', AWS_BATCH_JOB_ARRAY_SIZE: '10', AWS_BATCH_JOB_ID: 'b1c2-9f:7' }), { index: 7, count: 10, runId: 'b1c2-9f' })
  assert.deepEqual(resolveShard({ shard: 'auto', shardCount: 3 }, ['daily'], { AWS_BATCH_JOB_ARRAY_INDEX: '2', AWS_BATCH_JOB_ID: 'j:2' }), { index: 2, count: 3, runId: 'j' })
  usage(() => resolveShard({ shard: 'auto' }, ['daily'], { AWS_BATCH_JOB_ARRAY_INDEX: 'x', AWS_BATCH_JOB_ARRAY_SIZE: '4' }), /AWS_BATCH_JOB_ARRAY_INDEX is "x", not a whole number/)
  usage(() => resolveShard({ shard: 'auto' }, ['daily'], {}), /no scheduler index in the environment \(JOB_COMPLETION_INDEX .*, AWS_BATCH_JOB_ARRAY_INDEX/)
})

test('a series belongs to one shard, the same for any worker and any set of other series', () => {
  const names = Array.from({ length: 2000 }, (_, i) => `data/spot/daily/klines/SYM${i}USDT/1m/`)
  for (const count of [2, 7, 16]) {
    const sizes = new Array(count).fill(0)
    for (const n of names) sizes[shardOfName(n, count)]++
    assert.ok(Math.min(...sizes) > (names.length / count) * 0.7, `balanced across ${count}: ${sizes.join(', ')}`)
  }
  assert.equal(shardOfName('data/spot/daily/klines/BTCUSDT/1m/', 16), shardOfName('data/spot/daily/klines/BTCUSDT/1m/', 16))
  assert.notEqual(new Set(['ünïcødé/', 'unicode/', 'a', 'b', 'c', 'd'].map((n) => shardOfName(n, 1000))).size, 1)
})

test('runs groups the shards of a run id: the latest try of each, the missing and the failed', () => {
  const run = (index: number, exitCode: number | undefined, startedAt: string, runId = 'daily@2026-11-26'): RunInfo => ({
    id: startedAt, file: `${startedAt}.jsonl`, startedAt, command: 'sync', jobs: ['daily'], copied: 1, skipped: 0, failed: 0, deleted: 0,
    ...(exitCode !== undefined ? { exitCode } : {}), shard: { index, count: 4, runId },
  })
  // Newest first, as listRuns returns them: shard 1 failed, then succeeded on a retry; shard 2 was killed; shard 3 never ran.
  const [g, other] = groupShards([run(1, 0, '4'), run(2, undefined, '3'), run(1, 1, '2'), run(0, 0, '1'), run(0, 0, '0', 'other')])
  assert.equal(g!.runId, 'daily@2026-11-26')
  assert.deepEqual(g!.missing, [3])
  assert.deepEqual(g!.failed, [2])
  assert.equal(g!.shards.get(1)!.exitCode, 0, 'a retried shard counts by its last try')
  assert.equal(g!.complete, false)
  assert.equal(other!.complete, false, 'one of four shards is not a whole run')
})

test('the series hash is FNV-1a of the UTF-8 bytes, pinned to reference values: workers of two versions split alike', () => {
  // Computed apart from this code (FNV-1a 32-bit, offset basis 0x811c9dc5, prime 0x01000193, over UTF-8).
  const reference: [string, number, number, number][] = [
    ['data/spot/daily/klines/BTCUSDT/1m/', 3880424049, 5, 1],
    ['data/spot/daily/klines/ETHUSDT/1h/', 1316011144, 0, 8],
    ['data/futures/um/monthly/trades/BNBUSDT/', 1041245007, 5, 15],
    ['é/😀/', 3417406996, 3, 4],
  ]
  for (const [name, hash, of7, of16] of reference) {
    assert.equal(shardOfName(name, 2 ** 32), hash, name)
    assert.equal(shardOfName(name, 7), of7, `${name} of 7`)
    assert.equal(shardOfName(name, 16), of16, `${name} of 16`)
  }
})
