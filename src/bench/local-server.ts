// A local test bed for the demo and `lakesync bench --local`: versitygw (the production S3
// server built by `npm run setup`), optionally behind a proxy simulating a WAN link.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { connect, createServer } from 'node:net'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { findTool } from '../util/find-tool.ts'
import { WanProxy } from './wan-proxy.ts'

export interface LocalServer {
  /** What clients use: the proxy when a WAN link is simulated, else the server itself. */
  endpoint: string
  credentials: { accessKeyId: string; secretAccessKey: string }
  client: S3Client
  accessLog?: string
  /** The posix folder the server keeps its buckets in (one folder per bucket): scale benchmarks seed it directly. */
  dir: string
  createBuckets(...names: string[]): Promise<void>
  /** CPU seconds (user + sys) the server process has used so far: benchmarks charge each tool the server work its requests caused. */
  cpuSeconds(): number
  stop(): Promise<void>
}

export interface WanLink {
  /** Round-trip time added, in milliseconds. */
  rttMs: number
  /** Bandwidth each way, in Mbit/s. */
  mbits: number
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
    srv.on('error', reject)
  })
}

/** Waits until something listens on the loopback port, or fails once `child` exits or 30 s pass. */
export async function waitForPort(port: number, child: ChildProcess, what: string) {
  for (let i = 0; i < 300; i++) {
    const up = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => (s.end(), r(true)))
      s.on('error', () => r(false))
    })
    if (up) return
    if (child.exitCode !== null) break
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${what} did not start on port ${port}`)
}

function cleanEnv() {
  const env = { ...process.env }
  delete env.AWS_CA_BUNDLE
  return env
}

/** Starts versitygw on `port` (or a free one), with its access log when asked, behind the WAN proxy when `wan` is set. */
export async function startVersitygw(port?: number, options: { accessLog?: string; wan?: WanLink } = {}): Promise<LocalServer> {
  const versitygw = await findTool('versitygw')
  if (!versitygw) throw new Error('versitygw not found: run `npm run setup` in a checkout, or put it on PATH (LAKESYNC_VERSITYGW)')
  const credentials = { accessKeyId: 'LAKESYNCLOCAL', secretAccessKey: `local-${process.pid}-${Date.now()}` }
  const dir = await mkdtemp(path.join(tmpdir(), 'lakesync-vgw-'))
  const serverPort = options.wan ? await freePort() : port ?? (await freePort())
  // Keep-alive as S3 has it: versitygw closes every connection after one response otherwise.
  const server = spawn(versitygw, [
    '--keep-alive', '--access', credentials.accessKeyId, '--secret', credentials.secretAccessKey, '--port', `127.0.0.1:${serverPort}`,
    ...(options.accessLog ? ['--access-log', options.accessLog] : []), 'posix', dir,
  ], { env: cleanEnv(), stdio: 'ignore' })
  await waitForPort(serverPort, server, 'versitygw (is the port taken?)')
  let endpoint = `http://127.0.0.1:${serverPort}`
  const stops: (() => Promise<void>)[] = []
  if (options.wan) endpoint = await startWanProxy(serverPort, port ?? (await freePort()), options.wan, stops)
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' })
  return {
    endpoint, credentials, client, accessLog: options.accessLog, dir,
    async createBuckets(...names) {
      for (const Bucket of names) await client.send(new CreateBucketCommand({ Bucket }))
    },
    cpuSeconds: () => processCpuSeconds(server.pid!),
    async stop() {
      client.destroy()
      for (const stop of stops) await stop()
      if (server.exitCode === null) {
        const exited = new Promise((r) => server.once('exit', r))
        server.kill('SIGTERM')
        await exited
      }
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** utime + stime of a process (fields 14 and 15 of /proc/PID/stat, after the command name), in seconds; Linux only. */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[11]) + Number(fields[12])
  return ticks / CLOCK_TICKS
}

/** USER_HZ, the unit of /proc's CPU times: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100

/** The WAN proxy between clients and the server (see wan-proxy.ts for why not toxiproxy). */
async function startWanProxy(upstreamPort: number, listenPort: number, wan: WanLink, stops: (() => Promise<void>)[]): Promise<string> {
  const proxy = new WanProxy(upstreamPort, wan.rttMs, wan.mbits)
  await proxy.listen(listenPort)
  stops.push(() => proxy.close())
  return `http://127.0.0.1:${listenPort}`
}
