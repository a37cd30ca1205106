// Starts the production S3 server (versitygw) built by `npm run setup` on a loopback port.
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { connect } from 'node:net'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'

export const TOOLS_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.tools/bin')

export interface LocalServer {
  endpoint: string
  credentials: { accessKeyId: string; secretAccessKey: string }
  client: S3Client
  createBuckets(...names: string[]): Promise<void>
  stop(): Promise<void>
}

export async function startVersitygw(port: number, options: { accessLog?: string } = {}): Promise<LocalServer> {
  const credentials = { accessKeyId: 'LAKESYNCLOCAL', secretAccessKey: `local-${process.pid}-${Date.now()}` }
  const dir = await mkdtemp(path.join(tmpdir(), 'lakesync-vgw-'))
  const env = { ...process.env }
  delete env.AWS_CA_BUNDLE
  const child = spawn(path.join(TOOLS_BIN, 'versitygw'), [
    '--access', credentials.accessKeyId, '--secret', credentials.secretAccessKey, '--port', `127.0.0.1:${port}`,
    ...(options.accessLog ? ['--access-log', options.accessLog] : []), 'posix', dir,
  ], { env, stdio: 'ignore' })
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((r) => { const s = connect(port, '127.0.0.1', () => (s.end(), r(true))); s.on('error', () => r(false)) })
    if (up) break
    if (child.exitCode !== null || i > 300) throw new Error(`versitygw did not start on port ${port} (is the port taken? run npm run setup)`)
    await new Promise((r) => setTimeout(r, 100))
  }
  const endpoint = `http://127.0.0.1:${port}`
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' })
  return {
    endpoint, credentials, client,
    async createBuckets(...names) { for (const Bucket of names) await client.send(new CreateBucketCommand({ Bucket })) },
    async stop() {
      client.destroy()
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
      await rm(dir, { recursive: true, force: true })
    },
  }
}
