// Load: 50,000 small objects through each direct engine against a local versitygw, with
// lakesync's peak RSS sampled from /proc (the Node process, and s5cmd apart).
// Run: npm run build && npm run build:binary && npx tsx scripts/bench-load.ts [--objects 50000]
// (ENGINES=lean,s5cmd,sdk by default; ENGINES=lean for one)
// (the single binary when built, as users run it; else the bundle on this Node).
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { freePort, startVersitygw } from '../src/bench/local-server.ts'
import { forEachPool } from '../src/util/pool.ts'
import { treeRss } from '../src/bench/measure.ts'
import { TOOLS_BIN } from '../test/helpers/paths.ts'
import { lakesyncCommand } from './lib/lakesync-command.ts'

const { values } = parseArgs({ options: { objects: { type: 'string', default: '50000' } } })
const objects = Number(values.objects)
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

const rssOf = async (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''))?.[1] ?? 0) * 1024

const server = await startVersitygw(await freePort())
let state = ''
try {
  await server.createBuckets('load-src', 'load-dst')
  const t0 = performance.now()
  const keys = Array.from({ length: objects }, (_, i) => `data/spot/daily/trades/SYM${i % 50}/SYM${i % 50}-trades-${String(i).padStart(7, '0')}.zip`)
  await forEachPool(keys, 64, async (Key) => void (await server.client.send(new PutObjectCommand({ Bucket: 'load-src', Key, Body: Key }))))
  console.error(`seeded ${objects} objects in ${((performance.now() - t0) / 1000).toFixed(0)} s`)
  const lakesync = lakesyncCommand()
  console.error(`lakesync: ${lakesync.join(' ')}`)
  state = await mkdtemp(path.join(tmpdir(), 'lakesync-load-state-'))
  console.log(`| engine | objects | wall s | requests | requests/s | peak RSS lakesync (Node) | peak RSS s5cmd (and its shell) |`)
  console.log('|---|---|---|---|---|---|---|')
  for (const engine of (process.env.ENGINES ?? 'lean,s5cmd,sdk').split(',')) {
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_ACCESS_KEY_ID: server.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey, AWS_REGION: 'us-east-1', LAKESYNC_S5CMD: path.join(TOOLS_BIN, 's5cmd'), LAKESYNC_STATE_DIR: state }
    delete env.AWS_CA_BUNDLE
    const child = spawn(lakesync[0]!, [...lakesync.slice(1), 'sync', '--from', 's3://load-src/data/', '--to', `s3://load-dst/${engine}/`, '--endpoint', server.endpoint, '--engine', engine, '--json'], { env, stdio: ['ignore', 'pipe', 'inherit'] })
    let last = ''
    child.stdout.on('data', (d: Buffer) => {
      const text = last + d.toString()
      const lines = text.split('\n')
      last = lines.pop()!
      for (const l of lines) if (l.includes('"type":"job-end"')) last = l + '\n' + last
    })
    let nodePeak = 0
    let s5Peak = 0
    const timer = setInterval(async () => {
      nodePeak = Math.max(nodePeak, await rssOf(child.pid!))
      // s5cmd runs under /bin/sh: everything below the Node process.
      s5Peak = Math.max(s5Peak, (await treeRss(child.pid!)) - (await rssOf(child.pid!)))
    }, 100)
    const code = await new Promise((r) => child.once('close', r))
    clearInterval(timer)
    const end = JSON.parse(last.split('\n').find((l) => l.includes('"type":"job-end"')) ?? '{}')
    const total = Object.values(end.requests ?? {}).reduce((a: number, b) => a + (b as number), 0)
    console.log(`| ${engine} | ${end.copied} (exit ${code}) | ${end.seconds?.toFixed(1)} | ${total} | ${(total / end.seconds).toFixed(0)} | ${(nodePeak / 1e6).toFixed(0)} MB | ${engine === 's5cmd' ? `${(s5Peak / 1e6).toFixed(0)} MB` : '—'} |`)
  }
} finally {
  await server.stop()
  if (state) await rm(state, { recursive: true, force: true })
}
