import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startS3Server, type S3TestServer } from '../helpers/s3-server.ts'
import { startFaultProxy } from '../helpers/fault-proxy.ts'
import { runCli } from '../helpers/cli.ts'
import { snapshot } from '../helpers/buckets.ts'
import { putAll } from '../../scripts/lib/seed.ts'

// 300 objects of 1 MB: more GETs than the SDK's default pool of 50 sockets could hold beside their PUTs.
const objects = Array.from({ length: 300 }, (_, i) => ({ key: `big/obj-${String(i).padStart(3, '0')}.bin`, body: new Uint8Array(randomBytes(1_000_000)) }))

describe('liveness on versitygw', { concurrency: false }, () => {
  let server: S3TestServer
  let other: S3TestServer
  let source: Map<string, string>
  before(async () => {
    server = await startS3Server('versitygw', { buckets: ['src-bucket', 'dst-bucket'] })
    other = await startS3Server('versitygw', { buckets: ['far-bucket'] })
    const client = server.client()
    await putAll(client, 'src-bucket', objects, 16)
    source = await snapshot(client, 'src-bucket', 'big/')
    client.destroy()
  })
  after(async () => {
    await server?.stop()
    await other?.stop()
  })
  const identical = async (s: S3TestServer, bucket: string, prefix: string) => {
    const c = s.client()
    assert.deepEqual([...(await snapshot(c, bucket, prefix))], [...source], 'byte-identical')
    c.destroy()
  }

  for (const traditional of ['stream', 'staged'] as const) {
    for (const concurrency of [64, 256]) {
      test(`--mode traditional (${traditional}) on one endpoint at --concurrency ${concurrency}: 300 × 1 MB mirrored`, { timeout: 300_000 }, async () => {
        const prefix = `trad-${traditional}-${concurrency}/`
        const r = await runCli(['sync', '--from', 's3://src-bucket/big/', '--to', `s3://dst-bucket/${prefix}`, '--endpoint', server.endpoint, '--mode', 'traditional', '--traditional', traditional, '--concurrency', String(concurrency)], {
          env: { ...server.env, LAKESYNC_STALL_SECONDS: '60' },
        })
        assert.equal(r.code, 0, r.stdout + r.stderr)
        assert.match(r.stdout, /copied 300 /)
        await identical(server, 'dst-bucket', prefix)
      })
    }
    test(`--mode traditional (${traditional}) across two servers at --concurrency 128`, { timeout: 300_000 }, async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'lakesync-two-servers-'))
      const connection = (s: S3TestServer) => `{ endpoint: '${s.endpoint}', credentials: { accessKeyId: '${s.accessKeyId}', secretAccessKey: '${s.secretAccessKey}' } }`
      await writeFile(path.join(dir, 'lakesync.config.mjs'), `export default {
  connections: { near: ${connection(server)}, far: ${connection(other)} },
  jobs: { across: { source: { kind: 's3', url: 's3://src-bucket/big/', connection: 'near' }, destination: { kind: 's3', url: 's3://far-bucket/${traditional}/', connection: 'far' }, traditional: '${traditional}', concurrency: 128 } },
}\n`)
      const r = await runCli(['sync', '--config', path.join(dir, 'lakesync.config.mjs')], { env: { LAKESYNC_STALL_SECONDS: '60' } })
      assert.equal(r.code, 0, r.stdout + r.stderr)
      assert.match(r.stdout, /mode traditional/)
      await identical(other, 'far-bucket', `${traditional}/`)
    })
  }

  test('sdk engine at --concurrency 200: the server sees more than 50 copies at once', { timeout: 300_000 }, async () => {
    const proxy = await startFaultProxy(server.port, {})
    try {
      const r = await runCli(['sync', '--from', 's3://src-bucket/big/', '--to', 's3://dst-bucket/wide/', '--endpoint', proxy.endpoint, '--engine', 'sdk', '--concurrency', '200'], { env: server.env })
      assert.equal(r.code, 0, r.stderr)
      assert.ok(proxy.copies.peak > 100, `peak copies in flight at the server: ${proxy.copies.peak}`)
    } finally {
      await proxy.close()
    }
  })

  for (const [signal, code] of [['SIGHUP', 129], ['SIGTERM', 143]] as const) {
    test(`staged copies: ${signal}${signal === 'SIGHUP' ? ' (an SSH session closing)' : ''} cleans up like SIGINT and exits ${code}`, { timeout: 120_000 }, async () => {
      const temp = await mkdtemp(path.join(tmpdir(), 'lakesync-hup-'))
      const staging = async () => (await readdir(temp)).length > 0 && (await readdir(path.join(temp, (await readdir(temp))[0]!)).catch(() => [])).length > 0
      const args = ['sync', '--from', 's3://src-bucket/big/', '--to', `s3://dst-bucket/hup-${signal}/`, '--endpoint', server.endpoint, '--mode', 'traditional', '--traditional', 'staged', '--concurrency', '2']
      const r = await runCli(args, { env: { ...server.env, LAKESYNC_TMPDIR: temp }, signalWhen: staging, signal })
      assert.equal(r.code, code, r.stdout + r.stderr)
      assert.deepEqual(await readdir(temp), [], 'no temp files left')
    })
  }

  for (const traditional of ['stream', 'staged'] as const) {
    test(`${traditional}: GETs and PUTs accepted and never answered end within the stall limit, named, and are retried`, { timeout: 120_000 }, async () => {
      const proxy = await startFaultProxy(server.port, { hangObjectOnce: 0.05 })
      try {
        const started = performance.now()
        const prefix = `hung-${traditional}/`
        const r = await runCli(['sync', '--from', 's3://src-bucket/big/', '--to', `s3://dst-bucket/${prefix}`, '--endpoint', proxy.endpoint, '--mode', 'traditional', '--traditional', traditional], {
          env: { ...server.env, LAKESYNC_STALL_SECONDS: '3' },
        })
        assert.equal(r.code, 0, r.stdout + r.stderr)
        assert.ok(proxy.injected.hangs > 0, `injected ${JSON.stringify(proxy.injected)}`)
        assert.match(r.stdout, /warning: .*no answer in time for "big\/obj-\d{3}\.bin"/)
        assert.ok(performance.now() - started < 60_000, 'well within the limits')
        await identical(server, 'dst-bucket', prefix)
      } finally {
        await proxy.close()
      }
    })
  }
})
