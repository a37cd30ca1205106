// `npx tsx scripts/bench-shards.ts [--objects 20000] [--rounds 2] [--split]`: one job copied by 1, 2 and 4
// shard processes started at once (the single binary, `--shard K/N`) against one versitygw on
// loopback, each configuration into a fresh prefix, rounds interleaved. Reports wall time (first
// start to last exit) and the CPU of all processes (lakesync's and versitygw's, from /proc).
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { startVersitygw } from '../src/bench/local-server.ts'
import { median } from '../src/bench/measure.ts'
import { lakesyncCommand } from './lib/lakesync-command.ts'

const { values } = parseArgs({ options: { objects: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '2' }, split: { type: 'boolean', default: false } } })
const objects = Number(values.objects)
const rounds = Number(values.rounds)
const SHARD_COUNTS = [1, 2, 4]
// Copies in flight per process: 64 each (as N hosts would run), or 64 shared out (--split: this host's total held).
const split = values.split
const SEED = path.join(import.meta.dirname, 'lib/seed-posix.py')
const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100

/** CPU seconds (user + sys, its waited-for children included) a process has used, from /proc. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / ticks
}

const server = await startVersitygw()
try {
  await server.createBuckets('archive', 'lake')
  // 50 symbols, a zip and its sidecar per day: objects / 100 days.
  const seeded = spawnSync('python3', [SEED, server.dir, 'archive', 'lake', 'seeded/', '50', '1d', String(Math.round(objects / 100)), '2024-01-01'], { encoding: 'utf8', maxBuffer: 1 << 28 })
  if (seeded.status !== 0) throw new Error(seeded.stderr)
  const serverPid = Number(spawnSync('pgrep', ['-n', 'versitygw'], { encoding: 'utf8' }).stdout.trim())
  const [cmd, ...pre] = lakesyncCommand()
  const env = { ...process.env, AWS_ACCESS_KEY_ID: server.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey, AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }
  const results = new Map<number, { wall: number; cpu: number; serverCpu: number }[]>(SHARD_COUNTS.map((n) => [n, []]))
  for (let round = 0; round < rounds; round++) {
    for (const n of SHARD_COUNTS) {
      const to = `s3://lake/r${round}-n${n}/`
      const serverBefore = cpuOf(serverPid)
      const start = performance.now()
      const cpu = await Promise.all(Array.from({ length: n }, (_, k) => new Promise<number>((resolve, reject) => {
        const args = [...pre, 'sync', '--from', 's3://archive/data/', '--to', to, '--endpoint', server.endpoint, '--verify', 'size', '--concurrency', String(split ? 64 / n : 64), ...(n > 1 ? ['--shard', `${k}/${n}`, '--run-id', `bench-${round}-${n}`] : [])]
        const child = spawn('/usr/bin/time', ['-f', '%U %S', cmd!, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] })
        let err = ''
        child.stderr.on('data', (d) => (err += d))
        child.on('close', (code) => {
          if (code !== 0) return reject(new Error(`shard ${k}/${n} exited ${code}: ${err}`))
          const [user, sys] = err.trim().split('\n').at(-1)!.split(' ').map(Number)
          resolve(user! + sys!)
        })
      })))
      const wall = (performance.now() - start) / 1000
      const m = { wall, cpu: cpu.reduce((a, b) => a + b, 0), serverCpu: cpuOf(serverPid) - serverBefore }
      results.get(n)!.push(m)
      console.error(`round ${round + 1}: ${n} shard process(es): ${wall.toFixed(2)} s, lakesync CPU ${m.cpu.toFixed(2)} s (${cpu.map((c) => c.toFixed(2)).join(" + ")}), versitygw CPU ${m.serverCpu.toFixed(2)} s`)
    }
  }
  console.log(`\n${objects} objects, ${rounds} rounds interleaved, ${split ? '64 copies in flight shared out' : '64 copies in flight per process'}; versitygw v1.8.0 on loopback; ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB\n`)
  console.log('| shard processes | median wall (s) | objects/s | lakesync CPU, all processes (s) | versitygw CPU (s) |')
  console.log('|---|---|---|---|---|')
  for (const [n, ms] of results) {
    const wall = median(ms.map((m) => m.wall))
    console.log(`| ${n} | ${wall.toFixed(2)} | ${Math.round(objects / wall)} | ${median(ms.map((m) => m.cpu)).toFixed(2)} | ${median(ms.map((m) => m.serverCpu)).toFixed(2)} |`)
  }
} finally {
  await server.stop()
}
