// `npm run bench`: lakesync (defaults, and each direct engine) against s5cmd's wildcard `cp`,
// raw `s5cmd run` of the same cp lines, rclone, `s5cmd sync` and `aws s3 sync`, each into a
// fresh prefix of one local versitygw, rounds interleaved. Wall time and the CPU of each
// tool's whole process tree, and the CPU the server spent on its requests. Prints a Markdown table for docs/BENCHMARKS.md.
// Options: --objects N (2000) --rounds N (3) --workers N (64) --skip NAME (repeatable; a tool whose name starts with NAME,
// e.g. --skip aws) --layout archive|zips (archive: as Binance publishes, half zips and half their .CHECKSUM sidecars; zips: zips alone)
// --rtt MS (0): the server behind a WAN link of this round-trip time (1 Gbit/s: the copies are server-side, only requests cross it),
// so the wall is the requests' latency, as against S3, more than the server's CPU on this shared host.
// --against PATH (repeatable): another lakesync binary (an older build) run with defaults beside this one, for before/after figures.
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { putAll, withSidecar } from './lib/seed.ts'
import { freePort, startVersitygw } from '../src/bench/local-server.ts'
import { rcloneS3Env } from '../src/bench/modes.ts'
import { TOOLS_BIN } from '../test/helpers/paths.ts'
import { lakesyncCommand } from './lib/lakesync-command.ts'
import { benchEnv } from './lib/bench-env.ts'
import { batchLine } from '../src/engines/s5cmd-batch.ts'

const { values } = parseArgs({ options: { objects: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '3' }, workers: { type: 'string', default: '64' }, skip: { type: 'string', multiple: true, default: [] }, layout: { type: 'string', default: 'archive' }, rtt: { type: 'string', default: '0' }, against: { type: 'string', multiple: true, default: [] } } })
if (!['archive', 'zips'].includes(values.layout)) throw new Error(`--layout: expected archive or zips, got ${values.layout}`)
const objects = Number(values.objects)
const rounds = Number(values.rounds)
const workers = Number(values.workers)
const rttMs = Number(values.rtt)
if (!(rttMs >= 0)) throw new Error(`--rtt: expected milliseconds (0 for none), got ${values.rtt}`)
const hasRclone = spawnSync('rclone', ['version']).status === 0
interface Measure {
  wall: number
  cpu: number
  /** The server's CPU while the tool ran: on this shared host it is wall time too. */
  server: number
}

const server = await startVersitygw(await freePort(), rttMs ? { wan: { rttMs, mbits: 1000 } } : {})
const work = await mkdtemp(path.join(tmpdir(), 'lakesync-bench-'))
try {
  await server.createBuckets('bench-src', 'bench-dst')
  const zips = values.layout === 'archive' ? Math.ceil(objects / 2) : objects
  const zipKeys = Array.from({ length: zips }, (_, i) => `data/spot/daily/klines/SYM${i % 20}/1m/SYM${i % 20}-1m-${String(i).padStart(6, '0')}.zip`)
  // Zips of 1–100 KB, spread evenly; in the archive layout each with its sidecar.
  const seed = zipKeys.flatMap((key, i) => {
    const body = randomBytes(1000 + Math.floor((99_000 * i) / zips))
    return values.layout === 'archive' ? withSidecar(key, body) : [{ key, body }]
  })
  await putAll(server.client, 'bench-src', seed)
  const keys = seed.map((o) => o.key).sort()
  const env = benchEnv(server, path.join(work, 'state'), rcloneS3Env(server.endpoint, server.credentials))
  // Wall time, and the CPU (user + sys) of the whole process tree: /usr/bin/time counts the children it waited for (s5cmd under lakesync).
  // Spawned, not spawnSync: the WAN link of --rtt runs in this process and must keep forwarding.
  const timed = async (cmd: string, args: string[]): Promise<Measure> => {
    const cpuFile = path.join(work, 'cpu.txt')
    const t = performance.now()
    const server0 = server.cpuSeconds()
    const child = spawn('/usr/bin/time', ['-o', cpuFile, '-f', '%U %S', cmd, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20_000)))
    const [status] = (await once(child, 'close')) as [number | null]
    const wall = (performance.now() - t) / 1000
    const serverCpu = server.cpuSeconds() - server0
    if (status !== 0) throw new Error(`${cmd} failed (${status}): ${stderr}`)
    const [user, sys] = readFileSync(cpuFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number)
    return { wall, cpu: user! + sys!, server: serverCpu }
  }
  const lakesync = lakesyncCommand()
  console.error(`lakesync: ${lakesync.join(' ')}`)
  const s5cmd = path.join(TOOLS_BIN, 's5cmd')
  const sync = (round: number, name: string, ...flags: string[]) => syncWith(lakesync, round, name, ...flags)
  const syncWith = (command: string[], round: number, name: string, ...flags: string[]) =>
    timed(command[0]!, [...command.slice(1), 'sync', '--from', 's3://bench-src/data/', '--to', `s3://bench-dst/r${round}/${name}/`, '--endpoint', server.endpoint, '--concurrency', String(workers), ...flags])
  const tools: Record<string, (round: number) => Promise<Measure>> = {
    's5cmd cp (wildcard)': async (round) => timed(s5cmd, ['--numworkers', String(workers), '--endpoint-url', server.endpoint, 'cp', 's3://bench-src/data/*', `s3://bench-dst/r${round}/s5cmd-cp/`]),
    // s5cmd's cp sends REPLACE with no metadata, so its copies lose Content-Type and user
    // metadata; this row keeps them, as lakesync (and aws s3 sync) do.
    's5cmd cp --metadata-directive COPY': async (round) =>
      timed(s5cmd, ['--numworkers', String(workers), '--endpoint-url', server.endpoint, 'cp', '--metadata-directive', 'COPY', 's3://bench-src/data/*', `s3://bench-dst/r${round}/s5cmd-cp-copy/`]),
    'lakesync sync (defaults)': async (round) => sync(round, 'lakesync'),
    'lakesync sync --engine lean': async (round) => sync(round, 'lean', '--engine', 'lean'),
    'lakesync sync --engine s5cmd': async (round) => sync(round, 's5cmd-engine', '--engine', 's5cmd'),
    'lakesync sync --engine sdk': async (round) => sync(round, 'sdk', '--engine', 'sdk'),
    'lakesync sync --verify checksum': async (round) => sync(round, 'checksum', '--verify', 'checksum'),
    ...Object.fromEntries(values.against.map((binary, i) => [`lakesync sync (defaults), ${binary}`, async (round: number) => syncWith([binary], round, `against-${i}`)])),
    'raw s5cmd run (same cp lines)': async (round) => {
      const file = path.join(work, `batch-${round}.txt`)
      const lines = keys.map((key) => batchLine({ key, destKey: `r${round}/s5cmd/${key.slice('data/'.length)}` }, 'bench-src', 'bench-dst'))
      await writeFile(file, lines.join('\n') + '\n')
      return timed(s5cmd, ['--json', '--numworkers', String(workers), '--endpoint-url', server.endpoint, 'run', file])
    },
    ...(hasRclone ? { 'rclone copy': async (round: number) => timed('rclone', ['copy', ':s3:bench-src/data/', `:s3:bench-dst/r${round}/rclone/`, '--transfers', String(workers), '--checkers', String(workers)]) } : {}),
    's5cmd sync': async (round) => timed(s5cmd, ['--numworkers', String(workers), '--endpoint-url', server.endpoint, 'sync', 's3://bench-src/data/*', `s3://bench-dst/r${round}/s5cmd-sync/`]),
    'aws s3 sync': async (round) => timed('aws', ['--endpoint-url', server.endpoint, 's3', 'sync', 's3://bench-src/data/', `s3://bench-dst/r${round}/aws/`, '--only-show-errors']),
  }
  const names = Object.keys(tools).filter((n) => !values.skip.some((s) => n.startsWith(s)))
  const times: Record<string, Measure[]> = Object.fromEntries(names.map((n) => [n, []]))
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round so no tool always runs first.
    const order = names.map((_, i) => names[(i + round) % names.length]!)
    for (const name of order) {
      const m = await tools[name]!(round)
      times[name]!.push(m)
      console.error(`round ${round + 1}: ${name}: ${m.wall.toFixed(2)} s, CPU ${m.cpu.toFixed(2)} s, server CPU ${m.server.toFixed(2)} s`)
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  // Rounds run close together in time, so the ratio within a round is steadier than a ratio of medians on a noisy host.
  const paired = (t: Measure[], base: string) => {
    const b = times[base]?.map((m) => m.wall)
    return b ? `${median(t.map((m, i) => m.wall / b[i]!)).toFixed(2)}×` : '–'
  }
  const what = values.layout === 'archive' ? `${zips} zips of 1–100 KB and their ${zips} .CHECKSUM sidecars` : `${objects} zips of 1–100 KB`
  console.log(`\n${keys.length} objects (${what}), ${rounds} rounds interleaved, ${workers} workers; versitygw v1.8.0 on loopback (keep-alive)${rttMs ? ` behind a ${rttMs} ms round trip` : ''}; ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}\n`)
  console.log('| tool | median wall s | min s | max s | objects/s | wall vs s5cmd cp | wall vs s5cmd cp, metadata kept | CPU s (median) | CPU ms per object | server CPU ms per object |')
  console.log('|---|---|---|---|---|---|---|---|---|---|')
  for (const n of names) {
    const t = times[n]!
    const wall = median(t.map((m) => m.wall))
    const cpu = median(t.map((m) => m.cpu))
    const serverCpu = median(t.map((m) => m.server))
    console.log(`| ${n} | ${wall.toFixed(2)} | ${Math.min(...t.map((m) => m.wall)).toFixed(2)} | ${Math.max(...t.map((m) => m.wall)).toFixed(2)} | ${Math.round(keys.length / wall)} | ${paired(t, 's5cmd cp (wildcard)')} | ${paired(t, 's5cmd cp --metadata-directive COPY')} | ${cpu.toFixed(2)} | ${((1000 * cpu) / keys.length).toFixed(2)} | ${((1000 * serverCpu) / keys.length).toFixed(2)} |`)
  }
} finally {
  await server.stop()
  await rm(work, { recursive: true, force: true })
}
