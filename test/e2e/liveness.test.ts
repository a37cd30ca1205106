import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ListMultipartUploadsCommand, ListPartsCommand } from '@aws-sdk/client-s3'
import { putLarge, sha256Of } from '../helpers/big-object.ts'
import { startS3Server, type S3TestServer } from '../helpers/s3-server.ts'
import { startFaultProxy } from '../helpers/fault-proxy.ts'
import { runCli } from '../helpers/cli.ts'
import { countKeys, snapshot } from '../helpers/buckets.ts'
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

  test('sdk engine at --concurrency 200: the server sees about 200 copies at once, not the SDK default of 50', { timeout: 300_000 }, async () => {
    // Each request waits a second at the proxy, so copies pile up to what lakesync lets fly.
    const proxy = await startFaultProxy(server.port, { latencySpike: 1, spikeMs: 1000 })
    try {
      const r = await runCli(['sync', '--from', 's3://src-bucket/big/', '--to', 's3://dst-bucket/wide/', '--endpoint', proxy.endpoint, '--engine', 'sdk', '--concurrency', '200'], { env: server.env })
      assert.equal(r.code, 0, r.stderr)
      assert.ok(proxy.copies.peak >= 150 && proxy.copies.peak <= 200, `peak copies in flight at the server: ${proxy.copies.peak}`)
    } finally {
      await proxy.close()
    }
  })

  const landed = (prefix: string) => countKeys(server, 'dst-bucket', prefix)

  for (const [engine, mode, signal, code] of [['s5cmd', 'direct', 'SIGINT', 130], ['sdk', 'direct', 'SIGTERM', 143], ['sdk', 'traditional', 'SIGINT', 130]] as const) {
    test(`${signal} mid-run (${mode}, ${engine}): the summary says what was confirmed and what is unknown, and nothing prints after it`, { timeout: 120_000 }, async () => {
      const prefix = `interrupted-${engine}-${mode}/`
      const r = await runCli(['sync', '--from', 's3://src-bucket/big/', '--to', `s3://dst-bucket/${prefix}`, '--endpoint', server.endpoint, '--engine', engine, '--mode', mode, '--concurrency', '4'], {
        env: server.env, pathWithTools: true, signal, signalWhen: async () => (await landed(prefix)) >= 20,
      })
      assert.equal(r.code, code, r.stdout + r.stderr)
      const lines = r.stdout.trim().split('\n')
      assert.match(lines.at(-1)!, /bytes through this host: /, 'the summary ends the output')
      const head = lines.find((l) => l.includes('INTERRUPTED: copied'))
      assert.ok(head, r.stdout)
      const copied = Number(/copied (\d+)/.exec(head)![1])
      assert.ok(copied <= (await landed(prefix)), 'copied counts only copies that are there')
      assert.match(r.stdout, /unknown: \d+ copies answered but not yet confirmed at the destination, \d+ in flight with no answer/)
      assert.doesNotMatch(r.stdout, /FAILED|verification failed|nothing listed/)
      if (mode === 'traditional') assert.doesNotMatch(lines.at(-1)!, /bytes through this host: 0 B/)
    })
  }

  test('a run killed (SIGKILL) mid multipart upload leaves it open; the next run of the job aborts it and completes', { timeout: 300_000 }, async () => {
    const client = server.client()
    await putLarge(client, 'src-bucket', 'huge/100mb.bin', 100 * 1024 * 1024)
    const open = async () => (await client.send(new ListMultipartUploadsCommand({ Bucket: 'dst-bucket', Prefix: 'killed/' }))).Uploads ?? []
    // A stream copy (16 MiB parts) and a server-side copy in parts.
    for (const [dest, extra] of [['killed/stream/', ['--mode', 'traditional']], ['killed/direct/', ['--engine', 'sdk', '--multipart-threshold', String(10 * 1024 * 1024), '--part-size', String(5 * 1024 * 1024), '--part-concurrency', '1']]] as const) {
      const args = ['sync', '--from', 's3://src-bucket/huge/', '--to', `s3://dst-bucket/${dest}`, '--endpoint', server.endpoint, ...extra]
      // Killed once the upload has a part at the server: lakesync has its answer by then.
      const withPart = async () => {
        const upload = (await open()).find((u) => u.Key?.startsWith(dest))
        return Boolean(upload && ((await client.send(new ListPartsCommand({ Bucket: 'dst-bucket', Key: upload.Key, UploadId: upload.UploadId }))).Parts ?? []).length)
      }
      const killed = await runCli(args, { env: server.env, signal: 'SIGKILL', signalWhen: withPart })
      assert.equal(killed.code, null, 'killed')
      assert.ok((await open()).some((u) => u.Key?.startsWith(dest)), 'the kill left an upload open')
      const again = await runCli(args, { env: server.env })
      assert.equal(again.code, 0, again.stdout + again.stderr)
      assert.match(again.stdout, /aborted 1 multipart upload\(s\) that an earlier run of this job left open/)
      assert.deepEqual((await open()).filter((u) => u.Key?.startsWith(dest)), [], 'no upload left open')
      assert.equal(await sha256Of(client, 'dst-bucket', `${dest}100mb.bin`), await sha256Of(client, 'src-bucket', 'huge/100mb.bin'))
    }
    client.destroy()
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
