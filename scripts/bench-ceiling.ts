// `npx tsx scripts/bench-ceiling.ts`: a backfill against an S3-like ceiling (issue 34). One
// versitygw holds a Binance-layout archive (seeded straight into its folder); every tool copies it
// server-side into a fresh prefix through src/bench/s3-limiter.ts, which adds S3's long-tailed
// round trip and answers 503 SlowDown above S3's per-partition rates (scaled to this host), and
// splits a partition that holds its rate. Tools run one after another, each for at most
// --seconds; the limiter's own log gives each one's copies per second over time.
// Options: --objects N (200000: zips and sidecars) --seconds S (120) --scale X (0.1) --median MS (100)
// --split-after S (0: never) --partitions N (4: the most) --start-partitions N (4: the destination's key range
// already split at every N-th of the series, as S3 has split a prefix that held a high rate)
// --only NAME (repeatable: the tools whose names start with it)
// --json FILE (the per-second series, for the chart and docs/BENCHMARKS.md) --table FILE (print the table of a saved --json, run nothing)
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, tmpdir, totalmem } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { freePort, startVersitygw } from '../src/bench/local-server.ts'
import { S3Limiter, S3_RATES, type LimiterSecond } from '../src/bench/s3-limiter.ts'
import { rcloneS3Env } from '../src/bench/modes.ts'
import { TOOLS_BIN } from '../test/helpers/paths.ts'
import { lakesyncCommand } from './lib/lakesync-command.ts'
import { benchEnv } from './lib/bench-env.ts'

const { values } = parseArgs({ options: {
  objects: { type: 'string', default: '200000' }, seconds: { type: 'string', default: '120' }, scale: { type: 'string', default: '0.1' },
  median: { type: 'string', default: '100' }, 'split-after': { type: 'string', default: '0' }, partitions: { type: 'string', default: '4' },
  'start-partitions': { type: 'string', default: '4' },
  only: { type: 'string', multiple: true, default: [] }, json: { type: 'string' }, table: { type: 'string' },
} })
const objects = Number(values.objects)
const seconds = Number(values.seconds)
const limits = { scale: Number(values.scale), medianMs: Number(values.median), sigma: 0.6, splitAfterS: Number(values['split-after']), maxPartitions: Number(values.partitions), burstS: 0.1 }
// 100 symbols × 1 interval, zips and sidecars: series folders of objects / 100 keys each.
const SYMBOLS = 100
const days = Math.max(1, Math.round(objects / SYMBOLS / 2))
/** The seed's symbol names (scripts/lib/seed-posix.py). */
const symbol = (i: number) => `SYM${String(i).padStart(3, '0')}USDT`

interface Run { tool: string; seconds: LimiterSecond[]; copied: number; throttled: number; wall: number; cpu: number; done: boolean; peakRssMB?: number }
/** What a --json file holds: the bed's settings and each tool's run. */
interface Saved { limits: typeof limits; objects: number; seconds: number; startPartitions: number; machine: string; runs: Run[] }

if (values.table) {
  const saved = JSON.parse(await readFile(values.table, 'utf8')) as Saved
  report(saved)
  process.exit(0)
}

const server = await startVersitygw(await freePort())
const work = await mkdtemp(path.join(tmpdir(), 'lakesync-ceiling-'))
try {
  await server.createBuckets('bench-src', 'bench-dst')
  const seeded = spawnSync('python3', [path.join(import.meta.dirname, 'lib/seed-posix.py'), server.dir, 'bench-src', '-', '', String(SYMBOLS), '1m', String(days), '2020-01-01'], { stdio: ['ignore', 'ignore', 'inherit'] })
  if (seeded.status !== 0) throw new Error('seeding failed')
  const total = SYMBOLS * days * 2
  const s5cmd = path.join(TOOLS_BIN, 's5cmd')
  const lakesync = lakesyncCommand()
  // lakesync as its users run a backfill: a Binance selection of every symbol (the same keys the peers copy from data/).
  const last = new Date(Date.UTC(2020, 0, days)).toISOString().slice(0, 10)
  const config = (endpoint: string, to: string, extra: string) => `import { defineConfig, binance } from 'lakesync'
export default defineConfig({ connections: { bench: { endpoint: '${endpoint}' } }, jobs: { backfill: {
  source: binance.archive({ bucket: 'bench-src', market: 'spot', frequency: 'daily', dataType: 'klines', symbols: '*', intervals: ['1m'], from: '2020-01-01', to: '${last}', connection: 'bench' }),
  destination: '${to}', connection: 'bench', ${extra}
} } })
`
  const sync = (e: string, to: string, extra = ''): [string, string[]] => {
    const file = path.join(work, `config-${to.replace(/\W/g, '-')}.ts`)
    writeFileSync(file, config(e, to, extra))
    return [lakesync[0]!, [...lakesync.slice(1), 'sync', '--config', file]]
  }
  const tools: Record<string, (endpoint: string, to: string) => [string, string[]]> = {
    'lakesync (defaults: adaptive, spread)': (e, to) => sync(e, to),
    "lakesync, order: 'key'": (e, to) => sync(e, to, "order: 'key',"),
    'lakesync --concurrency 64': (e, to) => sync(e, to, 'concurrency: 64,'),
    's5cmd cp (defaults: 256 workers)': (e, to) => [s5cmd, ['--endpoint-url', e, 'cp', 's3://bench-src/data/*', `${to}data/`]],
    's5cmd cp --numworkers 64': (e, to) => [s5cmd, ['--numworkers', '64', '--endpoint-url', e, 'cp', 's3://bench-src/data/*', `${to}data/`]],
    's5cmd cp --numworkers 32': (e, to) => [s5cmd, ['--numworkers', '32', '--endpoint-url', e, 'cp', 's3://bench-src/data/*', `${to}data/`]],
    'rclone copy (defaults: 4 transfers)': (_e, to) => ['rclone', ['copy', ':s3:bench-src/data/', `:s3:${to.slice(5)}data/`]],
    'rclone copy --transfers 64': (_e, to) => ['rclone', ['copy', ':s3:bench-src/data/', `:s3:${to.slice(5)}data/`, '--transfers', '64', '--checkers', '32']],
  }
  const hasRclone = spawnSync('rclone', ['version']).status === 0
  const names = Object.keys(tools).filter((n) => (!n.startsWith('rclone') || hasRclone) && (!values.only.length || values.only.some((o) => n.startsWith(o))))
  const runs: Run[] = []
  for (const [i, name] of names.entries()) {
    runs.push(await runBehindLimiter(name, tools[name]!, `s3://bench-dst/run${i}/`))
    const r = runs.at(-1)!
    console.error(`${name}: ${r.copied} copied in ${r.wall.toFixed(0)} s${r.done ? '' : ' (stopped at --seconds)'}, ${r.throttled} throttled, CPU ${r.cpu.toFixed(1)} s`)
  }
  const saved: Saved = { limits, objects: total, seconds, startPartitions: Number(values['start-partitions']), machine: `${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}`, runs }
  report(saved)
  if (values.json) await writeFile(values.json, JSON.stringify(saved, null, 1) + '\n')
} finally {
  await server.stop()
  await rm(work, { recursive: true, force: true })
}

/** One tool behind a fresh limiter (its partitions start cold): its per-second log, and the tool's CPU. */
async function runBehindLimiter(tool: string, command: (endpoint: string, to: string) => [string, string[]], to: string): Promise<Run> {
  // Every tool writes under `to` + data/…: the same keys, so the same partitions.
  const base = `bench-dst/${to.slice('s3://bench-dst/'.length)}data/spot/daily/klines/`
  const starts = Number(values['start-partitions'])
  const splits = Array.from({ length: starts - 1 }, (_, k) => `${base}${symbol(Math.round(((k + 1) * SYMBOLS) / starts))}/`)
  const limiter = new S3Limiter(Number(new URL(server.endpoint).port), { ...limits, splits })
  const endpoint = `http://127.0.0.1:${await limiter.listen()}`
  const [cmd, args] = command(endpoint, to)
  const env = benchEnv(server, path.join(work, 'state'), { ...rcloneS3Env(endpoint, server.credentials), RCLONE_S3_ENDPOINT: endpoint })
  const cpuFile = path.join(work, 'cpu.txt')
  const started = performance.now()
  // Its own process group: the interrupt at --seconds reaches the tool, not only /usr/bin/time.
  const child = spawn('/usr/bin/time', ['-o', cpuFile, '-f', '%U %S %M', cmd, ...args], { env, stdio: ['ignore', 'pipe', 'ignore'], detached: true })
  // lakesync's summary says how its limit moved: kept for the log.
  let said = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (said = (said + d).slice(-4000)))
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGINT'), seconds * 1000)
  const [status] = (await once(child, 'close')) as [number | null]
  clearTimeout(timer)
  const wall = (performance.now() - started) / 1000
  await limiter.close()
  const [user, sys, rssKB] = (await readFile(cpuFile, 'utf8')).trim().split('\n').at(-1)!.split(' ').map(Number)
  const log = limiter.seconds
  for (const line of said.split('\n').filter((l) => /concurrency: adaptive|throttled:/.test(l))) console.error(`  ${tool}: ${line.trim()}`)
  return { tool, seconds: log, copied: log.reduce((a, s) => a + s.writesOk, 0), throttled: log.reduce((a, s) => a + s.throttled, 0), wall, cpu: (user ?? 0) + (sys ?? 0), done: status === 0 && wall < seconds, peakRssMB: Math.round((rssKB ?? 0) / 1024) }
}

/**
 * The table for docs/BENCHMARKS.md. "Held" is the mean rate from 30 s on until the tool stopped
 * copying or was stopped (its last 5 s, the drain, left out): what it sustains once started.
 */
function report(saved: Saved) {
  const { limits: l, objects: total, runs } = saved
  const rate = S3_RATES.write * l.scale
  console.log(`\n${total.toLocaleString('en')} objects (${SYMBOLS} series of zips and their sidecars); limiter: ${rate} writes/s per partition (S3's 3,500 × ${l.scale}), `
    + `round trip log-normal, median ${l.medianMs} ms, σ ${l.sigma}; the destination's series split into ${saved.startPartitions} partitions from the start`
    + `${l.splitAfterS ? `, and a partition over half its rate for ${l.splitAfterS} s splits, up to ${l.maxPartitions}` : ''}; `
    + `each tool at most ${saved.seconds} s; versitygw on loopback; ${saved.machine}\n`)
  console.log('| tool | copied | objects/s, whole run | objects/s held (30 s on) | held, share of the ceiling | first second at ≥ 90% of the ceiling | throttled (share of requests) | CPU ms per object | peak RSS |')
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const r of runs) {
    let copying = r.seconds.length - 1
    while (copying > 0 && !r.seconds[copying]!.writesOk) copying--
    const held = r.seconds.slice(30, Math.max(31, Math.min(saved.seconds, copying) - 5))
    const heldRate = held.reduce((a, s) => a + s.writesOk, 0) / Math.max(1, held.length)
    const ceiling = held.reduce((a, s) => a + s.ceiling, 0) / Math.max(1, held.length)
    const reached = r.seconds.find((s) => s.writesOk >= 0.9 * s.ceiling)
    const share = (100 * r.throttled) / Math.max(1, r.throttled + r.copied)
    console.log(`| ${r.tool} | ${r.copied.toLocaleString('en')}${r.done ? '' : ' (stopped)'} | ${Math.round(r.copied / Math.min(r.wall, copying + 1))} | ${Math.round(heldRate)} | ${Math.round((100 * heldRate) / ceiling)}% | ${reached ? `${reached.second} s` : 'never'} | ${r.throttled.toLocaleString('en')} (${share.toFixed(2)}%) | ${((1000 * r.cpu) / Math.max(1, r.copied)).toFixed(3)} | ${r.peakRssMB ? `${r.peakRssMB} MB` : '–'} |`)
  }
}
