// `npm run bench:scale`: what a daily run costs as the archive grows. For each archive size a
// Binance-layout archive (50 symbols × 2 intervals × days, each zip with its .CHECKSUM) is
// seeded straight into a local versitygw's folder, the destination holds all but the newest
// day, and the daily increment is timed for lakesync (binance job and plain prefix job),
// `s5cmd sync`, `aws s3 sync` and, as the floor, raw `s5cmd run` of exactly the new cp lines;
// then a no-op re-run of the plain prefix job against `s5cmd sync` and `rclone sync`. Prints
// Markdown tables for docs/BENCHMARKS.md: wall time, requests by type (the server's access
// log), peak RSS and journal bytes.
// Options: --sizes 50000,200000,1000000  --skip NAME (repeatable: a tool whose name starts with it)
import { spawnSync } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { cpus, tmpdir, totalmem } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { freePort, startVersitygw, type LocalServer } from '../src/bench/local-server.ts'
import { countAccessLog } from '../src/bench/measure.ts'
import { rcloneS3Env } from '../src/bench/modes.ts'
import { batchLine } from '../src/engines/s5cmd-batch.ts'
import { TOOLS_BIN } from '../test/helpers/paths.ts'
import { lakesyncCommand } from './lib/lakesync-command.ts'
import { benchEnv } from './lib/bench-env.ts'

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '50000,200000,1000000' }, skip: { type: 'string', multiple: true, default: [] } } })
const sizes = values.sizes.split(',').map(Number)
const SYMBOLS = 50
const INTERVALS = ['1h', '1m']
const START = '2000-01-01'
const SEED = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lib/seed-posix.py')
const KLINES = 'data/spot/daily/klines/'

interface Measured {
  tool: string
  seconds: number
  requests: Record<string, number>
  rssMB: number
  journalBytes?: number
  copied?: number
}

const results: { keys: number; seedSeconds: number; increment: Measured[]; noop: Measured[] }[] = []
for (const keys of sizes) results.push(await benchSize(keys))
printTables()

async function benchSize(keys: number) {
  const days = Math.round(keys / (SYMBOLS * INTERVALS.length * 2))
  const work = await mkdtemp(path.join(tmpdir(), 'lakesync-scale-'))
  const accessLog = path.join(work, 'access.log')
  const server = await startVersitygw(await freePort(), { accessLog })
  try {
    await server.createBuckets('archive', 'lake')
    const t = performance.now()
    const seeded = spawnSync('python3', [SEED, server.dir, 'archive', 'lake', 'mirror/', String(SYMBOLS), INTERVALS.join(','), String(days), START], { encoding: 'utf8', maxBuffer: 1 << 26 })
    if (seeded.status !== 0) throw new Error(`seeding failed: ${seeded.stderr}`)
    const seedSeconds = (performance.now() - t) / 1000
    const newKeys = seeded.stdout.trim().split('\n')
    const newest = /(\d{4}-\d{2}-\d{2})\.zip/.exec(newKeys[0]!)![1]!
    console.error(`bench:scale: ${keys} keys (${days} days), seeded in ${seedSeconds.toFixed(0)} s; the newest day ${newest} has ${newKeys.length} keys`)
    const run = runner(server, work, accessLog)
    // Each increment starts from the same state: the destination lacks the newest day.
    const reset = async () => {
      for (const k of newKeys) await unlink(path.join(server.dir, 'lake', 'mirror', k)).catch(() => {})
    }
    const landed = async () => {
      let n = 0
      for (const k of newKeys) if (await stat(path.join(server.dir, 'lake', 'mirror', k)).catch(() => undefined)) n++
      return n
    }
    const config = path.join(work, 'lakesync.config.ts')
    const from = new Date(Date.parse(newest) - 6 * 86_400_000).toISOString().slice(0, 10)
    await writeFile(config, `import { defineConfig, binance } from 'lakesync'
export default defineConfig({
  connections: { local: { endpoint: '${server.endpoint}' } },
  jobs: {
    daily: {
      source: binance.archive({ market: 'spot', frequency: 'daily', dataType: 'klines', symbols: '*', intervals: ${JSON.stringify(INTERVALS)}, from: '${from}', to: '${newest}', bucket: 'archive', connection: 'local' }),
      destination: 's3://lake/mirror/', connection: 'local',
    },
  },
})
`)
    const lakesync = lakesyncCommand()
    const plain = [...lakesync, 'sync', '--from', `s3://archive/${KLINES}`, '--to', `s3://lake/mirror/${KLINES}`, '--endpoint', server.endpoint]
    const s5cmd = path.join(TOOLS_BIN, 's5cmd')
    const s5cmdSync = [s5cmd, '--endpoint-url', server.endpoint, 'sync', `s3://archive/${KLINES}*`, `s3://lake/mirror/${KLINES}`]
    const rclone = spawnSync('rclone', ['version']).status === 0
      ? ['rclone', 'sync', `:s3:archive/${KLINES}`, `:s3:lake/mirror/${KLINES}`, '--transfers', '64', '--checkers', '64']
      : undefined
    const increment: Measured[] = []
    const tools: [string, () => Promise<Measured | undefined>][] = [
      ['lakesync (binance job, from -6d)', () => run('lakesync (binance job, from -6d)', [...lakesync, 'sync', '--config', config], { journal: true })],
      ['lakesync (plain prefix job)', () => run('lakesync (plain prefix job)', plain, { journal: true })],
      ['lakesync (plain prefix job, listConcurrency 1)', () => run('lakesync (plain prefix job, listConcurrency 1)', [...plain, '--list-concurrency', '1'], { journal: true })],
      ['s5cmd sync', () => run('s5cmd sync', s5cmdSync)],
      ['aws s3 sync', () => run('aws s3 sync', ['aws', '--endpoint-url', server.endpoint, 's3', 'sync', `s3://archive/${KLINES}`, `s3://lake/mirror/${KLINES}`, '--only-show-errors'])],
      ['raw s5cmd run (the new cp lines only)', async () => {
        const file = path.join(work, 'new-lines.txt')
        await writeFile(file, newKeys.map((key) => batchLine({ key, destKey: `mirror/${key}` }, 'archive', 'lake')).join('\n') + '\n')
        return run('raw s5cmd run (the new cp lines only)', [s5cmd, '--endpoint-url', server.endpoint, '--numworkers', '64', 'run', file])
      }],
    ]
    for (const [name, go] of tools) {
      if (values.skip.some((s) => name.startsWith(s))) continue
      await reset()
      const m = await go()
      if (!m) continue
      m.copied = await landed()
      if (m.copied !== newKeys.length) console.error(`bench:scale: ${name} left ${newKeys.length - m.copied} of the new keys uncopied`)
      increment.push(m)
    }
    // The destination now equals the source: a re-run finds nothing to do.
    const noop: Measured[] = []
    const noopTools = [['lakesync (plain prefix job)', plain], ['lakesync (plain prefix job, listConcurrency 1)', [...plain, '--list-concurrency', '1']], ['s5cmd sync', s5cmdSync], ['rclone sync', rclone]] as const
    for (const [name, cmd] of noopTools) {
      if (!cmd || values.skip.some((s) => name.startsWith(s))) continue
      // rclone HEADs every key (50 s at 50,000 keys): beyond 200,000 it would take the bench's hour.
      if (name.startsWith('rclone') && keys > 200_000) continue
      const m = await run(name, [...cmd], { journal: name.startsWith('lakesync'), rclone: name.startsWith('rclone') })
      if (m) noop.push(m)
    }
    return { keys: days * SYMBOLS * INTERVALS.length * 2, seedSeconds, increment, noop }
  } finally {
    await server.stop()
    await rm(work, { recursive: true, force: true })
  }
}

/** Runs one tool under /usr/bin/time: wall time, peak RSS, the server's requests during it, the journal it wrote. */
function runner(server: LocalServer, work: string, accessLog: string) {
  let n = 0
  return async (tool: string, cmd: string[], o: { journal?: boolean; rclone?: boolean } = {}): Promise<Measured> => {
    const state = path.join(work, `state-${n++}`)
    const env = benchEnv(server, state, o.rclone ? rcloneS3Env(server.endpoint, server.credentials) : {})
    const before = (await stat(accessLog).catch(() => ({ size: 0 }))).size
    const rssFile = path.join(work, 'rss.txt')
    const t = performance.now()
    const r = spawnSync('/usr/bin/time', ['-o', rssFile, '-f', '%M', ...cmd], { env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 28 })
    const seconds = (performance.now() - t) / 1000
    if (r.status !== 0) throw new Error(`${tool} failed (${r.status}): ${String(r.stderr).slice(-2000)}`)
    await new Promise((res) => setTimeout(res, 300)) // the access log is written as requests end
    const log = (await readFile(accessLog)).subarray(before).toString('utf8')
    const rssMB = Number((await readFile(rssFile, 'utf8')).trim().split('\n').at(-1)) / 1024
    const journalBytes = o.journal ? await folderBytes(path.join(state, 'runs')) : undefined
    console.error(`bench:scale:   ${tool}: ${seconds.toFixed(2)} s`)
    return { tool, seconds, requests: countAccessLog(log), rssMB, ...(journalBytes !== undefined ? { journalBytes } : {}) }
  }
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0
  for (const f of await readdir(dir).catch(() => [] as string[])) total += (await stat(path.join(dir, f))).size
  return total
}

function printTables() {
  const reqs = (m: Measured) => Object.entries(m.requests).sort(([, a], [, b]) => b - a).map(([op, n]) => `${op} ${n}`).join(', ')
  const kb = (b?: number) => (b === undefined ? '–' : `${(b / 1024).toFixed(1)} KB`)
  console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 1024 ** 3)} GiB; versitygw posix on loopback; ${SYMBOLS} symbols × ${INTERVALS.length} intervals, each zip with its .CHECKSUM.\n`)
  for (const r of results) {
    const floor = r.increment.find((m) => m.tool.startsWith('raw s5cmd'))?.seconds
    const s5 = r.increment.find((m) => m.tool === 's5cmd sync')?.seconds
    console.log(`### ${r.keys.toLocaleString('en-US')} keys: the daily increment (seeded in ${r.seedSeconds.toFixed(0)} s)\n`)
    console.log('| tool | wall | vs s5cmd sync | vs the floor | requests (server log) | peak RSS | journal | new keys landed |')
    console.log('|---|---|---|---|---|---|---|---|')
    for (const m of r.increment) {
      console.log(`| ${m.tool} | ${m.seconds.toFixed(2)} s | ${s5 ? `${(s5 / m.seconds).toFixed(1)}× faster` : '–'} | ${floor ? `${(m.seconds / floor).toFixed(1)}×` : '–'} | ${reqs(m)} | ${m.rssMB.toFixed(0)} MB | ${kb(m.journalBytes)} | ${m.copied} |`)
    }
    console.log(`\n### ${r.keys.toLocaleString('en-US')} keys: a no-op re-run\n`)
    console.log('| tool | wall | requests (server log) | peak RSS | journal |')
    console.log('|---|---|---|---|---|')
    for (const m of r.noop) console.log(`| ${m.tool} | ${m.seconds.toFixed(2)} s | ${reqs(m)} | ${m.rssMB.toFixed(0)} MB | ${kb(m.journalBytes)} |`)
    console.log('')
  }
}
