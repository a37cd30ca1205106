// What README.md promises and no other suite checks: each test names the promise it holds to.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtemp, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3'
import { startS3Server, serverKinds, freePort, type S3TestServer } from '../helpers/s3-server.ts'
import { startFaultProxy, s3Error, type Faults } from '../helpers/fault-proxy.ts'
import { logOutput, runCli } from '../helpers/cli.ts'
import { put, snapshot } from '../helpers/buckets.ts'
import { putAll, withSidecar } from '../../scripts/lib/seed.ts'
import { ROOT } from '../helpers/paths.ts'

type Event = { type: string; [k: string]: any }
const events = (stdout: string): Event[] => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
const jobEnd = (stdout: string) => events(stdout).find((e) => e.type === 'job-end')!
const itemsOf = (stdout: string) => events(stdout).filter((e) => e.type === 'item')

for (const kind of serverKinds()) {
  describe(`README promises on ${kind}`, { concurrency: false }, () => {
    let server: S3TestServer
    const objects = Array.from({ length: 20 }, (_, i) => ({ key: `plain/obj-${String(i).padStart(2, '0')}.bin`, body: Buffer.from(`object ${i} `.repeat(50)) }))
    before(async () => {
      server = await startS3Server(kind, { buckets: ['src-bucket', 'dst-bucket'] })
      const client = server.client()
      await putAll(client, 'src-bucket', objects)
      client.destroy()
    })
    after(() => server?.stop())
    const dest = async (prefix: string) => {
      const c = server.client()
      try { return await snapshot(c, 'dst-bucket', prefix) } finally { c.destroy() }
    }
    const through = async (faults: Faults, args: string[], env: Record<string, string> = {}) => {
      const proxy = await startFaultProxy(server.port, faults)
      try {
        const r = await runCli([...args, '--endpoint', proxy.endpoint, '--json'], { env: { ...server.env, ...env } })
        return { r, proxy }
      } finally {
        await proxy.close()
      }
    }
    const syncArgs = (to: string) => ['sync', '--from', 's3://src-bucket/plain/', '--to', `s3://dst-bucket/${to}`]

    test('a copy the server answered OK but that is not there is caught by the size check and copied again; --verify none trusts the answer', async () => {
      // Two copies "succeed" without reaching the server, once each.
      const faked = new Set<string>()
      const fake: Faults['answer'] = (q) => {
        if (!q.copy || !/obj-0[37]\.bin$/.test(q.path) || faked.has(q.path)) return undefined
        faked.add(q.path)
        return { status: 200, body: '<?xml version="1.0" encoding="UTF-8"?><CopyObjectResult><ETag>"00000000000000000000000000000000"</ETag><LastModified>2026-01-01T00:00:00.000Z</LastModified></CopyObjectResult>' }
      }
      // An answer with another ETag than the source's proves nothing: the destination is looked at.
      for (const engine of ['sdk', 'lean']) {
        const checked = await through({ answer: fake }, [...syncArgs(`verified-${engine}/`), '--engine', engine])
        assert.equal(checked.r.code, 0, checked.r.stderr)
        assert.equal(faked.size, 2)
        assert.equal((await dest(`verified-${engine}/`)).size, 20, `${engine}: both missing copies were made again`)
        assert.equal(jobEnd(checked.r.stdout).copied, 20)
        faked.clear()
      }
      const trusting = await through({ answer: fake }, [...syncArgs('unverified/'), '--engine', 'sdk', '--verify', 'none'])
      assert.equal(trusting.r.code, 0, trusting.r.stderr)
      assert.equal(jobEnd(trusting.r.stdout).copied, 20, '--verify none reports what the server answered')
      assert.equal((await dest('unverified/')).size, 18, 'and does not look')
    })

    test('a copy that fails for good: exit 1 once retries run out, the object named, the others copied', { timeout: 120_000 }, async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'lakesync-retries-'))
      const proxy = await startFaultProxy(server.port, { answer: (q) => (q.copy && q.path.endsWith('obj-05.bin') ? { status: 500, body: s3Error('InternalError') } : undefined) })
      try {
        await writeFile(path.join(dir, 'lakesync.config.json'), JSON.stringify({
          connections: { local: { endpoint: proxy.endpoint } },
          jobs: { failing: { source: 's3://src-bucket/plain/', destination: 's3://dst-bucket/failing/', connection: 'local', engine: 'sdk', retries: 2 } },
        }))
        // A .json config, as README lists among the config files.
        const r = await runCli(['sync'], { env: server.env, cwd: dir })
        assert.equal(r.code, 1, r.stdout + r.stderr)
        assert.match(r.stdout, /failing: FAILED "plain\/obj-05\.bin": .*InternalError/)
        assert.match(r.stdout, /copied 19 .*failed 1/)
        // lakesync's 3 tries (retries: 2), each of which the SDK itself makes up to 5 times.
        assert.equal(proxy.requests.filter((q) => q.copy && q.path.endsWith('obj-05.bin')).length, 3 * 5)
      } finally {
        await proxy.close()
      }
    })

    test('NotImplemented on server-side copies: auto mode copies those traditionally and reports the split', async () => {
      const { r, proxy } = await through({ answer: (q) => (q.copy && /obj-1\d\.bin$/.test(q.path) ? { status: 501, body: s3Error('NotImplemented', 'A header you provided implies functionality that is not implemented') } : undefined) }, [...syncArgs('fallback/'), '--engine', 'sdk'])
      assert.equal(r.code, 0, r.stdout + r.stderr)
      const end = jobEnd(r.stdout)
      assert.deepEqual(end.engines, { sdk: 10, stream: 10 })
      // Straight to the fallback: a NotImplemented is not retried (the SDK's and lakesync's retries would only wait).
      for (let i = 10; i < 20; i++) assert.equal(proxy.requests.filter((q) => q.copy && q.path.endsWith(`obj-${i}.bin`)).length, 1, `obj-${i}: one server-side try`)
      assert.ok(proxy.requests.some((q) => q.method === 'GET' && !q.list), 'the fallback read the bytes')
      assert.deepEqual([...(await dest('fallback/')).keys()], objects.map((o) => o.key.slice('plain/'.length)))
    })

    test('a failed multipart upload is aborted; staged temp files go on failure and on success', { timeout: 120_000 }, async () => {
      const client = server.client()
      await put(client, 'src-bucket', 'big/12mb.bin', Buffer.alloc(12 * 1024 * 1024, 7))
      const temp = await mkdtemp(path.join(tmpdir(), 'lakesync-staged-fail-'))
      const big = ['sync', '--from', 's3://src-bucket/big/', '--to', 's3://dst-bucket/mpu/', '--mode', 'traditional', '--traditional', 'staged', '--part-size', String(5 * 1024 * 1024)]
      const failing = await through({ answer: (q) => (q.method === 'POST' && q.query.has('uploadId') ? { status: 400, body: s3Error('InvalidPart') } : undefined) }, big, { LAKESYNC_TMPDIR: temp })
      assert.equal(failing.r.code, 1, failing.r.stdout + failing.r.stderr)
      assert.ok(failing.proxy.requests.some((q) => q.method === 'PUT' && q.query.has('partNumber')), 'parts were uploaded')
      assert.deepEqual((await client.send(new ListMultipartUploadsCommand({ Bucket: 'dst-bucket' }))).Uploads ?? [], [], 'the upload was aborted')
      assert.deepEqual(await readdir(temp), [], 'no temp files after a failure')
      const ok = await runCli([...big, '--endpoint', server.endpoint], { env: { ...server.env, LAKESYNC_TMPDIR: temp } })
      assert.equal(ok.code, 0, ok.stderr)
      assert.deepEqual(await readdir(temp), [], 'none after a success')
      client.destroy()
    })

    test('s5cmd batches of --batch-size; keys a batch line cannot carry (newline, trailing /) go to the SDK engine', { timeout: 120_000 }, async () => {
      const client = server.client()
      // moto refuses a newline in a key; versitygw's posix store cannot copy a folder-like key.
      const odd = kind === 'moto' ? ['odd/folder-like/'] : ['odd/line\nbreak.bin']
      for (const k of odd) await put(client, 'src-bucket', k, k.endsWith('/') ? '' : k)
      client.destroy()
      const r = await runCli(['sync', '--from', 's3://src-bucket/', '--to', 's3://dst-bucket/batches/', '--endpoint', server.endpoint, '--engine', 's5cmd', '--batch-size', '7', '--include', 'plain/**', '--include', 'odd/**', '--json'], { env: server.env, pathWithTools: true })
      assert.equal(r.code, 0, r.stdout + r.stderr)
      const batches = events(r.stdout).filter((e) => e.type === 'batch-end')
      assert.deepEqual(batches.map((b) => b.copied), [7, 7, 6], '20 items in batches of 7')
      const copied = itemsOf(r.stdout).filter((e) => e.action === 'copied')
      assert.deepEqual(copied.filter((e) => odd.includes(e.key)).map((e) => e.engine), ['sdk'])
      assert.ok(copied.filter((e) => !odd.includes(e.key)).every((e) => e.engine === 's5cmd'))
      assert.deepEqual([...(await dest('batches/odd/')).keys()], odd.map((k) => k.slice('odd/'.length)))
    })

    test('--verify checksum without the plugin: a mismatching zip is deleted (or moved with --quarantine), exit 3; traditional copies are checked too', async () => {
      const client = server.client()
      const good = Buffer.from('PK good bytes')
      const [zip, sidecar] = withSidecar('sums/good.zip', good)
      await putAll(client, 'src-bucket', [zip!, sidecar!, { key: 'sums/bad.zip', body: Buffer.from('PK bad bytes') }, { key: 'sums/bad.zip.CHECKSUM', body: withSidecar('sums/bad.zip', Buffer.from('other'))[1]!.body }])
      client.destroy()
      for (const mode of ['direct', 'traditional']) {
        const r = await runCli(['sync', '--from', 's3://src-bucket/sums/', '--to', `s3://dst-bucket/sums-${mode}/`, '--endpoint', server.endpoint, '--verify', 'checksum', '--mode', mode, '--json'], { env: server.env })
        assert.equal(r.code, 3, r.stdout + r.stderr)
        const failed = itemsOf(r.stdout).filter((e) => e.action === 'failed')
        assert.deepEqual(failed.map((e) => e.key), ['sums/bad.zip'])
        assert.match(failed[0]!.error, /SHA-256 mismatch: the sidecar says [0-9a-f]{64}, the copy has [0-9a-f]{64}; deleted/)
        assert.match(itemsOf(r.stdout).find((e) => e.key === 'sums/good.zip')!.reason, /SHA-256 matches its sidecar/)
        assert.deepEqual([...(await dest(`sums-${mode}/`)).keys()].sort(), ['bad.zip.CHECKSUM', 'good.zip', 'good.zip.CHECKSUM'], `${mode}: the bad copy is gone`)
      }
      // --quarantine (a flag from the option table) moves the bad copy aside instead.
      const r = await runCli(['sync', '--from', 's3://src-bucket/sums/', '--to', 's3://dst-bucket/sums-q/', '--endpoint', server.endpoint, '--verify', 'checksum', '--quarantine', 'held/', '--json'], { env: server.env })
      assert.equal(r.code, 3, r.stdout + r.stderr)
      assert.match(itemsOf(r.stdout).find((e) => e.action === 'failed')!.error, /moved to s3:\/\/dst-bucket\/held\/sums-q\/bad\.zip$/)
      assert.ok((await dest('held/')).has('sums-q/bad.zip'))
    })

    test('--source-anonymous reads the source unsigned; --source-endpoint with --dest-endpoint', { skip: kind === 'versitygw' && 'versitygw refuses unsigned requests to a private bucket; moto serves them', timeout: 120_000 }, async () => {
      const proxy = await startFaultProxy(server.port, {})
      try {
        // Both sides through one proxy (spelled two ways): one endpoint, two identities.
        const r = await runCli(['sync', '--from', 's3://src-bucket/plain/', '--to', 's3://dst-bucket/anon/', '--source-endpoint', proxy.endpoint, '--dest-endpoint', `${proxy.endpoint}/`, '--source-anonymous', '--json'], { env: server.env })
        assert.equal(r.code, 0, r.stdout + r.stderr)
        assert.ok(proxy.requests.filter((q) => q.copy).every((q) => q.signed), 'copies are made with the destination identity')
        // The listing is unsigned; the one probe (can the destination's identity read the source?) is signed.
        const sourceLists = proxy.requests.filter((q) => q.list && q.path.startsWith('/src-bucket') && q.query.get('max-keys') !== '1')
        assert.ok(sourceLists.length > 0 && sourceLists.every((q) => !q.signed), `the source was listed unsigned: ${JSON.stringify(sourceLists.map((q) => [q.query.toString(), q.signed]))}`)
        assert.equal((await dest('anon/')).size, 20)
      } finally {
        await proxy.close()
      }
    })
  })
}

describe('npm run demo', () => {
  test('runs the main job on the embedded default twice: the second run copies nothing', { timeout: 300_000 }, async () => {
    const port = await freePort()
    const r = spawnSync('npm', ['run', 'demo', '--silent'], { cwd: ROOT, env: { ...process.env, LAKESYNC_DEMO_PORT: String(port) }, encoding: 'utf8', timeout: 280_000 })
    logOutput('npm run demo', r.stdout, r.stderr)
    assert.equal(r.status, 0, r.stdout + r.stderr)
    const [first, second] = r.stdout.split('demo: second run')
    const copied = (text: string) => [...text.matchAll(/: copied ([\d,]+) \(/g)].reduce((sum, m) => sum + Number(m[1]!.replace(/,/g, '')), 0)
    assert.ok(second, r.stdout)
    assert.ok(copied(first!) > 100, `the first run copies the archive: ${copied(first!)}`)
    assert.match(second!, /: copied 0 \(/)
    assert.equal(copied(second!), 0, 'the second copies nothing')
  })
})
