import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3'
import { TOOLS_BIN } from './paths.ts'
import { freePort, waitForPort } from '../../src/bench/local-server.ts'

export { freePort }

const execFileAsync = promisify(execFile)

export type ServerKind = 'moto' | 'versitygw' | 'seaweedfs'

export interface S3TestServer {
  kind: ServerKind
  endpoint: string
  port: number
  accessKeyId: string
  secretAccessKey: string
  /** Environment that gives lakesync (and the SDK) this server's credentials. */
  env: Record<string, string>
  client(): S3Client
  createBucket(name: string): Promise<void>
  stop(): Promise<void>
  restart(): Promise<void>
  /** versitygw with `iam: true`: a second account, and bucket ownership. */
  createUser(accessKeyId: string, secretAccessKey: string): Promise<void>
  changeBucketOwner(bucket: string, owner: string): Promise<void>
}

/**
 * Starts a real S3 server on a free loopback port, with `buckets` created; stop() ends it and
 * removes its data.
 */
export async function startS3Server(kind: ServerKind, options: { accessLog?: string; iam?: boolean; buckets?: string[] } = {}): Promise<S3TestServer> {
  const port = await freePort()
  const adminPort = options.iam ? await freePort() : 0
  const accessKeyId = `LSTEST${kind.toUpperCase()}KEY`
  const secretAccessKey = `lakesync-test-secret-${kind}-${Math.random().toString(36).slice(2)}`
  const dataDir = await mkdtemp(path.join(tmpdir(), `lakesync-${kind}-`))
  if (options.iam) await mkdir(path.join(dataDir, '.iam'))
  const admin = (...args: string[]) =>
    execFileAsync(path.join(TOOLS_BIN, 'versitygw'), ['admin', '--access', accessKeyId, '--secret', secretAccessKey, '--endpoint-url', `http://127.0.0.1:${adminPort}`, ...args])
  // SeaweedFS runs master, volume, filer and S3 in one process: each listener on a port of its own.
  const weedPorts = kind === 'seaweedfs' ? await weedListeners() : []
  if (kind === 'seaweedfs') await writeFile(path.join(dataDir, 's3.json'), JSON.stringify({ identities: [{ name: 'lakesync-test', credentials: [{ accessKey: accessKeyId, secretKey: secretAccessKey }], actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'] }] }))
  const start = () => {
    const env = { ...process.env }
    delete env.AWS_CA_BUNDLE
    if (kind === 'seaweedfs') {
      return spawn(path.join(TOOLS_BIN, 'weed'), [
        'mini', `-dir=${path.join(dataDir, 'data')}`, '-ip=127.0.0.1', '-ip.bind=127.0.0.1', `-s3.port=${port}`, `-s3.config=${path.join(dataDir, 's3.json')}`,
        '-webdav=false', '-admin.ui=false', '-s3.port.iceberg=0', '-s3.port.lance=0', '-admin.port.legacy=0', ...weedPorts,
      ], { env, stdio: 'ignore' })
    }
    const child =
      kind === 'versitygw'
        ? spawn(path.join(TOOLS_BIN, 'versitygw'), [
            // Keep-alive as S3 has it: versitygw closes every connection after one response otherwise.
            '--keep-alive', '--access', accessKeyId, '--secret', secretAccessKey, '--port', `127.0.0.1:${port}`,
            ...(options.accessLog ? ['--access-log', options.accessLog] : []),
            ...(options.iam ? ['--admin-port', `127.0.0.1:${adminPort}`, '--iam-dir', path.join(dataDir, '.iam')] : []),
            'posix', dataDir,
          ], { env, stdio: 'ignore' })
        : spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { env, stdio: 'ignore' })
    return child
  }
  if (kind === 'seaweedfs') await mkdir(path.join(dataDir, 'data'))
  let child = start()
  await waitForPort(port, child, kind)
  const endpoint = `http://127.0.0.1:${port}`
  if (kind === 'seaweedfs') await untilServing(endpoint, accessKeyId, secretAccessKey)
  const env = {
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  }
  const stopChild = async () => {
    if (child.exitCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
  const server: S3TestServer = {
    kind, endpoint, port, accessKeyId, secretAccessKey, env,
    client: () =>
      new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId, secretAccessKey }, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }),
    async createBucket(name) {
      const c = server.client()
      try { await c.send(new CreateBucketCommand({ Bucket: name })) } finally { c.destroy() }
    },
    async createUser(access, secret) {
      await admin('create-user', '--access', access, '--secret', secret, '--role', 'user')
    },
    async changeBucketOwner(bucket, owner) {
      await admin('change-bucket-owner', '--bucket', bucket, '--owner', owner)
    },
    async stop() {
      await stopChild()
      await rm(dataDir, { recursive: true, force: true })
    },
    async restart() {
      await stopChild()
      child = start()
      await waitForPort(port, child, kind)
      if (kind === 'seaweedfs') await untilServing(endpoint, accessKeyId, secretAccessKey)
    },
  }
  for (const bucket of options.buckets ?? []) await server.createBucket(bucket)
  return server
}

/**
 * The servers a suite runs on: versitygw and moto, and with `third` SeaweedFS's S3 gateway too (an
 * implementation none of lakesync was written against; the suites that name it say where it differs).
 * LAKESYNC_TEST_SERVERS narrows them.
 */
export function serverKinds(o: { third?: boolean } = {}): ServerKind[] {
  const all: ServerKind[] = o.third ? ['versitygw', 'moto', 'seaweedfs'] : ['versitygw', 'moto']
  const only = process.env.LAKESYNC_TEST_SERVERS
  return only ? all.filter((k) => only.split(',').includes(k)) : all
}

/** Flags giving each of SeaweedFS's other listeners a free port (its defaults would collide between suites). */
async function weedListeners(): Promise<string[]> {
  const names = ['master.port', 'master.port.grpc', 'volume.port', 'volume.port.grpc', 'filer.port', 'filer.port.grpc', 's3.port.grpc', 'admin.port', 'admin.port.grpc']
  const flags: string[] = []
  for (const name of names) flags.push(`-${name}=${await freePort()}`)
  return flags
}

/** SeaweedFS opens its S3 port before its filer answers: ListBuckets until it does (at most 60 s). */
async function untilServing(endpoint: string, accessKeyId: string, secretAccessKey: string) {
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 })
  try {
    for (const deadline = Date.now() + 60_000; ; ) {
      try {
        await client.send(new ListBucketsCommand({}))
        return
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`seaweedfs did not answer ListBuckets within 60 s: ${(error as Error).message}`)
        await new Promise((r) => setTimeout(r, 250))
      }
    }
  } finally {
    client.destroy()
  }
}
