// Start-up: how long after its launch each tool opens its first connection to the S3 endpoint.
// `npx tsx scripts/bench-start.ts [--runs N] [--binary PATH ...]` (9 runs; the checkout's
// dist/lakesync, built by `node scripts/build-binary.mjs`, unless binaries are named). The
// endpoint is a loopback listener that only notes the moment and closes the connection: no S3
// server's work is counted. lakesync: the single binary, `sync --dry-run` of an ad-hoc job (the
// sync command's modules, config, locks and clients; a real run adds the copy engine);
// s5cmd: `ls` of a wildcard. Prints the median and range per tool, in ms.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { parseArgs } from 'node:util'
import { lakesyncCommand } from './lib/lakesync-command.ts'
import { TOOLS_BIN } from '../test/helpers/paths.ts'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '9' }, binary: { type: 'string', multiple: true, default: [] } } })
const runs = Number(values.runs)
const env: NodeJS.ProcessEnv = { ...process.env, AWS_ACCESS_KEY_ID: 'START', AWS_SECRET_ACCESS_KEY: 'start-bench', AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }
delete env.AWS_CA_BUNDLE

/** Milliseconds from spawning `argv` to its first connection to `port`; the process is then killed. */
async function firstConnection(argv: string[], port: number, server: ReturnType<typeof createServer>): Promise<number> {
  const started = performance.now()
  const child = spawn(argv[0]!, argv.slice(1), { env, stdio: 'ignore' })
  const exited = once(child, 'exit')
  const [socket] = await Promise.race([once(server, 'connection'), exited.then(() => { throw new Error(`${argv.join(' ')} exited before connecting to :${port}`) })])
  const ms = performance.now() - started
  socket.destroy()
  child.kill('SIGKILL')
  await exited
  return ms
}

const server = createServer()
server.listen(0, '127.0.0.1')
await once(server, 'listening')
const port = (server.address() as { port: number }).port
const endpoint = `http://127.0.0.1:${port}`
const lakesyncs = values.binary.length ? values.binary.map((b) => [b]) : [lakesyncCommand()]
const tools: Record<string, (i: number) => string[]> = Object.fromEntries(lakesyncs.map((cmd) => [
  `${cmd.join(' ')} sync --dry-run`,
  (i: number) => [...cmd, 'sync', '--dry-run', '--from', 's3://start/data/', '--to', `s3://start/mirror-${i}/`, '--endpoint', endpoint],
]))
tools['s5cmd ls'] = () => [`${TOOLS_BIN}/s5cmd`, '--endpoint-url', endpoint, 'ls', 's3://start/data/*']
const times: Record<string, number[]> = {}
// Interleaved, so a busy moment of the machine falls on both.
for (let i = 0; i < runs; i++) for (const [name, argv] of Object.entries(tools)) (times[name] ??= []).push(await firstConnection(argv(i), port, server))
server.close()
console.log(`| tool | first connection, median ms | min–max ms |\n|---|---|---|`)
for (const [name, t] of Object.entries(times)) {
  const sorted = [...t].sort((a, b) => a - b)
  console.log(`| ${name} | ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} | ${sorted[0]!.toFixed(0)}–${sorted.at(-1)!.toFixed(0)} |`)
}
