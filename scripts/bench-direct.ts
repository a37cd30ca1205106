// `npm run bench`: lakesync (s5cmd engine) against raw `s5cmd run` of the same cp lines and
// `aws s3 sync`, side by side on one local versitygw, rounds interleaved. Prints a Markdown
// table for docs/BENCHMARKS.md. Options: --objects N (2000) --rounds N (3) --workers N (64)
// --skip NAME (repeatable; a tool whose name starts with NAME, e.g. --skip aws).
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, tmpdir, totalmem } from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { putAll } from './lib/seed.ts'
import { freePort, startVersitygw } from '../src/bench/local-server.ts'
import { TOOLS_BIN } from '../test/helpers/paths.ts'
import { lakesyncCommand } from './lib/lakesync-command.ts'
import { benchEnv } from './lib/bench-env.ts'
import { batchLine } from '../src/engines/s5cmd-batch.ts'

const { values } = parseArgs({ options: { objects: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '3' }, workers: { type: 'string', default: '64' }, skip: { type: 'string', multiple: true, default: [] } } })
const objects = Number(values.objects)
const rounds = Number(values.rounds)
const workers = Number(values.workers)

const server = await startVersitygw(await freePort())
const work = await mkdtemp(path.join(tmpdir(), 'lakesync-bench-'))
try {
  await server.createBuckets('bench-src', 'bench-dst')
  const keys = Array.from({ length: objects }, (_, i) => `data/spot/daily/klines/SYM${i % 20}/1m/SYM${i % 20}-1m-${String(i).padStart(6, '0')}.zip`).sort()
  // 1–100 KB, spread evenly.
  await putAll(server.client, 'bench-src', keys.map((key, i) => ({ key, body: randomBytes(1000 + Math.floor((99_000 * i) / objects)) })))
  const env = benchEnv(server, path.join(work, 'state'))
  const timed = (cmd: string, args: string[]) => {
    const t = performance.now()
    const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 })
    const s = (performance.now() - t) / 1000
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}`)
    return s
  }
  const lakesync = lakesyncCommand()
  console.error(`lakesync: ${lakesync.join(' ')}`)
  const tools: Record<string, (round: number) => Promise<number>> = {
    'lakesync sync (s5cmd engine)': async (round) =>
      timed(lakesync[0]!, [...lakesync.slice(1), 'sync', '--from', 's3://bench-src/data/', '--to', `s3://bench-dst/r${round}/lakesync/`, '--endpoint', server.endpoint, '--engine', 's5cmd', '--concurrency', String(workers)]),
    'lakesync sync --verify none': async (round) =>
      timed(lakesync[0]!, [...lakesync.slice(1), 'sync', '--from', 's3://bench-src/data/', '--to', `s3://bench-dst/r${round}/lakesync-nv/`, '--endpoint', server.endpoint, '--engine', 's5cmd', '--concurrency', String(workers), '--verify', 'none']),
    'raw s5cmd run (same cp lines)': async (round) => {
      const file = path.join(work, `batch-${round}.txt`)
      const lines = keys.map((key) => batchLine({ key, destKey: `r${round}/s5cmd/${key.slice('data/'.length)}` }, 'bench-src', 'bench-dst'))
      await writeFile(file, lines.join('\n') + '\n')
      return timed(path.join(TOOLS_BIN, 's5cmd'), ['--json', '--numworkers', String(workers), '--endpoint-url', server.endpoint, 'run', file])
    },
    'aws s3 sync': async (round) => timed('aws', ['--endpoint-url', server.endpoint, 's3', 'sync', 's3://bench-src/data/', `s3://bench-dst/r${round}/aws/`, '--only-show-errors']),
  }
  const names = Object.keys(tools).filter((n) => !values.skip.some((s) => n.startsWith(s)))
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]))
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round so no tool always runs first.
    const order = names.map((_, i) => names[(i + round) % names.length]!)
    for (const name of order) {
      const s = await tools[name]!(round)
      times[name]!.push(s)
      console.error(`round ${round + 1}: ${name}: ${s.toFixed(2)} s`)
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const raw = times['raw s5cmd run (same cp lines)']!
  const base = median(raw)
  // Rounds run close together in time, so the ratio within a round is steadier than a ratio of medians on a noisy host.
  const paired = (t: number[]) => median(t.map((x, i) => x / raw[i]!))
  console.log(`\n${objects} objects of 1–100 KB, ${rounds} rounds interleaved, ${workers} workers; versitygw v1.8.0 on loopback; ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}\n`)
  console.log('| tool | median s | min s | max s | objects/s | vs raw s5cmd (medians) | vs raw s5cmd (median of per-round ratios) |')
  console.log('|---|---|---|---|---|---|---|')
  for (const n of names) {
    const t = times[n]!
    console.log(`| ${n} | ${median(t).toFixed(2)} | ${Math.min(...t).toFixed(2)} | ${Math.max(...t).toFixed(2)} | ${Math.round(objects / median(t))} | ${(median(t) / base).toFixed(2)}× | ${paired(t).toFixed(2)}× |`)
  }
} finally {
  await server.stop()
  await rm(work, { recursive: true, force: true })
}
