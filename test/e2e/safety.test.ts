import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, writeFile, chmod } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { startS3Server, serverKinds, type S3TestServer } from '../helpers/s3-server.ts'
import { startFaultProxy, type ListingFault } from '../helpers/fault-proxy.ts'
import { logOutput, runCli } from '../helpers/cli.ts'
import { put, snapshot } from '../helpers/buckets.ts'
import { putAll } from '../../scripts/lib/seed.ts'
import { CopyObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { verifySizes } from '../../src/verify/size.ts'
import { SdkTransport } from '../../src/storage/sdk-transport.ts'
import type { ResolvedJob } from '../../src/api/config.ts'
import { CLI, ROOT } from '../helpers/paths.ts'

const COUNT = 2500 // listing pages of 200 and 1,000 keys, then a range whose second page carries a continuation token
const objects = Array.from({ length: COUNT }, (_, i) => ({ key: `data/obj-${String(i).padStart(5, '0')}.bin`, body: new TextEncoder().encode(`object ${i}`) }))

for (const kind of serverKinds({ third: true })) {
  describe(`data safety on ${kind}`, { concurrency: false }, () => {
    let server: S3TestServer
    before(async () => {
      server = await startS3Server(kind, { buckets: ['src-bucket', 'dst-bucket'] })
      const client = server.client()
      await putAll(client, 'src-bucket', objects)
      client.destroy()
      const first = await runCli(['sync', '--from', 's3://src-bucket/data/', '--to', 's3://dst-bucket/mirror/', '--endpoint', server.endpoint], { env: server.env })
      assert.equal(first.code, 0, first.stderr)
    })
    after(() => server?.stop())
    const destKeys = async () => {
      const c = server.client()
      try { return (await snapshot(c, 'dst-bucket', 'mirror/')).size } finally { c.destroy() }
    }

    for (const fault of ['truncated-without-token', 'empty-body', 'html-body', 'error-body', 'same-token', 'cut-short'] as ListingFault[]) {
      test(`a spoiled listing page (${fault}) fails the run; --delete deletes nothing and nothing is reported copied`, { timeout: 120_000 }, async () => {
        const proxy = await startFaultProxy(server.port, { listing: fault })
        try {
          const r = await runCli(['sync', '--from', 's3://src-bucket/data/', '--to', 's3://dst-bucket/mirror/', '--endpoint', proxy.endpoint, '--delete', '--max-delete', '5000', '--json'], { env: server.env })
          assert.notEqual(r.code, 0, `a spoiled listing must not end as a success\n${r.stderr}`)
          assert.ok(proxy.injected.spoiledPages > 0, 'the fault was injected')
          // Retried, then failed: the spoiled page was asked for again before the run gave up.
          const asked = new Map<string, number>()
          for (const q of proxy.requests.filter((q) => q.list && (q.query.has('continuation-token') || q.query.has('start-after')))) {
            const page = `${q.path}?${q.query.get('continuation-token') ?? ''}|${q.query.get('start-after') ?? ''}`
            asked.set(page, (asked.get(page) ?? 0) + 1)
          }
          // (A token that does not advance fails at once: asking again would bring the same token.)
          if (fault !== 'same-token') assert.ok(Math.max(...asked.values()) >= 3, `a spoiled page is asked again before the run fails (most asks of one page: ${Math.max(...asked.values())})`)
          const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
          assert.equal(events.filter((e) => e.type === 'item' && (e.action === 'deleted' || e.action === 'copied')).length, 0, 'nothing deleted or copied')
          assert.match(r.stderr, /listing|ListBucketResult|continuation token/i)
          assert.equal(await destKeys(), COUNT, 'the destination is whole')
        } finally {
          await proxy.close()
        }
      })
    }

    test('a page after the first that goes back before the key it was asked to start after fails the run; --delete deletes nothing', async () => {
      const back = '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>src-bucket</Name><Prefix>data/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>'
        + '<Contents><Key>data/obj-00000.bin</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>&quot;00000000000000000000000000000000&quot;</ETag><Size>8</Size></Contents></ListBucketResult>'
      const proxy = await startFaultProxy(server.port, { answer: (q) => (q.list && q.query.has('start-after') && q.path.startsWith('/src-bucket') ? { status: 200, body: back } : undefined) })
      try {
        const r = await runCli(['sync', '--from', 's3://src-bucket/data/', '--to', 's3://dst-bucket/mirror/', '--endpoint', proxy.endpoint, '--delete', '--max-delete', '5000', '--json'], { env: server.env })
        assert.notEqual(r.code, 0, r.stderr)
        assert.match(r.stderr, /listed "data\/obj-00000\.bin" after "data\/obj-00199\.bin": the server does not return keys in order/)
        const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
        assert.equal(events.filter((e) => e.type === 'item' && (e.action === 'deleted' || e.action === 'copied')).length, 0, 'nothing deleted or copied')
        assert.equal(await destKeys(), COUNT, 'the destination is whole')
      } finally {
        await proxy.close()
      }
    })

    test('keys with a carriage return, "+" and "%" are listed url-encoded and copied under their exact keys, also from a server that sends CR raw', async () => {
      // moto refuses to store a key with a carriage return.
      const keys = [...(kind === 'moto' ? [] : ['cr/a\rb.txt']), 'cr/plus+and space.txt', 'cr/pct%41.txt']
      const client = server.client()
      for (const k of keys) await put(client, 'src-bucket', k, k)
      client.destroy()
      const proxy = await startFaultProxy(server.port, { rawCarriageReturns: true })
      try {
        const r = await runCli(['sync', '--from', 's3://src-bucket/cr/', '--to', 's3://dst-bucket/cr/', '--endpoint', proxy.endpoint, '--engine', 'sdk', '--json'], { env: server.env })
        assert.equal(r.code, 0, r.stdout + r.stderr)
        const copied = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((e) => e.type === 'item').map((e) => e.key).sort()
        assert.deepEqual(copied, [...keys].sort())
      } finally {
        await proxy.close()
      }
      const c = server.client()
      assert.deepEqual([...(await snapshot(c, 'dst-bucket', 'cr/')).keys()].sort(), keys.map((k) => k.slice(3)).sort())
      c.destroy()
    })

    test('keys that end in an emoji, listed to verify s5cmd\'s copies: all copied and verified, none "URI malformed"', { timeout: 120_000 }, async () => {
      const keys = ['e/😀', ...Array.from({ length: 30 }, (_, i) => `e/😀x${String(i).padStart(2, '0')}`)]
      const client = server.client()
      await putAll(client, 'src-bucket', keys.map((key) => ({ key, body: new TextEncoder().encode(key) })))
      client.destroy()
      const r = await runCli(['sync', '--from', 's3://src-bucket/e/', '--to', 's3://dst-bucket/emoji/', '--endpoint', server.endpoint, '--engine', 's5cmd'], { env: server.env, pathWithTools: true })
      assert.equal(r.code, 0, r.stdout + r.stderr)
      assert.match(r.stdout, /copied 31 /)
      assert.doesNotMatch(r.stdout, /URI malformed|verification failed/)
    })

    test('a copy whose answer carries the source\'s ETag needs no listing to verify; s5cmd\'s copies, which carry none, are listed', async () => {
      const client = server.client()
      await putAll(client, 'src-bucket', Array.from({ length: 60 }, (_, i) => ({ key: `proof/o-${i}.bin`, body: new TextEncoder().encode(`proof ${i}`) })))
      client.destroy()
      // Counted at the wire (a proxy), and by lakesync: the two must agree.
      const lists = async (to: string, ...flags: string[]) => {
        const proxy = await startFaultProxy(server.port, {})
        try {
          const r = await runCli(['sync', '--from', 's3://src-bucket/proof/', '--to', `s3://dst-bucket/${to}/`, '--endpoint', proxy.endpoint, '--json', ...flags], { env: server.env, pathWithTools: true })
          assert.equal(r.code, 0, r.stdout + r.stderr)
          const end = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((e) => e.type === 'job-end')
          assert.equal(end.copied, 60)
          const atTheWire = proxy.requests.filter((q) => q.list).length
          assert.equal(end.requests.ListObjectsV2, atTheWire, 'lakesync counts the listings the server saw')
          return atTheWire
        } finally {
          await proxy.close()
        }
      }
      const planning = await lists('proof-unverified', '--verify', 'none')
      assert.equal(await lists('proof-lean', '--engine', 'lean'), planning, 'lean copies are proven by their answers')
      assert.equal(await lists('proof-sdk', '--engine', 'sdk'), planning, 'sdk copies are proven by their answers')
      assert.ok(await lists('proof-s5cmd', '--engine', 's5cmd') > planning, 's5cmd copies are verified by listing the destination')
    })

    test('a source object rewritten with another size during the run is reported as changed, not failed after retries', async () => {
      const client = server.client()
      await put(client, 'src-bucket', 'changing/obj.bin', 'x'.repeat(100))
      const listed = { action: 'copy' as const, key: 'changing/obj.bin', destKey: 'changing/obj.bin', size: 100, etag: '', reason: 'missing' as const }
      // Between the listing and the copy, the source is rewritten; the copy takes the new bytes.
      await put(client, 'src-bucket', 'changing/obj.bin', 'y'.repeat(250))
      await client.send(new CopyObjectCommand({ Bucket: 'dst-bucket', Key: 'changing/obj.bin', CopySource: 'src-bucket/changing/obj.bin' }))
      const job = { source: { bucket: 'src-bucket', prefix: 'changing/' }, destination: { bucket: 'dst-bucket', prefix: 'changing/' }, concurrency: 4 } as unknown as ResolvedJob
      const transport = new SdkTransport(client)
      const [checked] = await verifySizes(transport, job, [{ item: listed, ok: true, engine: 'sdk' }], new AbortController().signal, transport)
      assert.equal(checked!.ok, true, checked!.error)
      assert.match(checked!.note ?? '', /the source changed during the run \(listed at 100 bytes, now 250\)/)
      // A destination that is short of the source's current size is still a failure.
      await put(client, 'dst-bucket', 'changing/obj.bin', 'z'.repeat(10))
      const [short] = await verifySizes(transport, job, [{ item: listed, ok: true, engine: 'sdk' }], new AbortController().signal, transport)
      assert.equal(short!.ok, false)
      assert.match(short!.error ?? '', /destination holds 10 bytes, the source 100/)
      client.destroy()
    })

    test('traditional copies keep content type, language, user metadata and tags, as server-side copies do', async () => {
      const client = server.client()
      await client.send(new PutObjectCommand({ Bucket: 'src-bucket', Key: 'meta/a.txt', Body: 'hello', ContentType: 'text/x-test', ContentLanguage: 'de-CH', Metadata: { origin: 'lakesync-test' }, Tagging: 'team=lake&tier=raw%20data' }))
      for (const traditional of ['stream', 'staged']) {
        const r = await runCli(['sync', '--from', 's3://src-bucket/meta/', '--to', `s3://dst-bucket/meta-${traditional}/`, '--endpoint', server.endpoint, '--mode', 'traditional', '--traditional', traditional], { env: server.env })
        assert.equal(r.code, 0, r.stdout + r.stderr)
        const head = await client.send(new HeadObjectCommand({ Bucket: 'dst-bucket', Key: `meta-${traditional}/a.txt` }))
        assert.equal(head.ContentType, 'text/x-test')
        assert.equal(head.ContentLanguage, 'de-CH')
        assert.deepEqual(head.Metadata, { origin: 'lakesync-test' })
        const tags = await client.send(new GetObjectTaggingCommand({ Bucket: 'dst-bucket', Key: `meta-${traditional}/a.txt` }))
        assert.deepEqual((tags.TagSet ?? []).map((t) => `${t.Key}=${t.Value}`).sort(), ['team=lake', 'tier=raw data'])
      }
      client.destroy()
    })

    test('LAKESYNC_S5CMD naming a missing file is an error (exit 2), not a quiet switch to the SDK engine', async () => {
      const r = await runCli(['sync', '--from', 's3://src-bucket/meta/', '--to', 's3://dst-bucket/meta-s5/', '--endpoint', server.endpoint], { env: { ...server.env, LAKESYNC_S5CMD: '/nonexistent/s5cmd' } })
      assert.equal(r.code, 2, r.stdout + r.stderr)
      assert.match(r.stderr, /LAKESYNC_S5CMD: "\/nonexistent\/s5cmd" is not an executable file/)
    })

    test('--dry-run --delete counts deletions apart from copies', async () => {
      const client = server.client()
      await put(client, 'dst-bucket', 'mirror/zz-extra-1', 'x')
      await put(client, 'dst-bucket', 'mirror/zz-extra-2', 'x')
      await put(client, 'src-bucket', 'data/zz-new', 'new')
      client.destroy()
      const r = await runCli(['sync', '--from', 's3://src-bucket/data/', '--to', 's3://dst-bucket/mirror/', '--endpoint', server.endpoint, '--delete', '--dry-run'], { env: server.env })
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, /would copy 1 \(/)
      assert.match(r.stdout, /would delete 2 absent at the source/)
      assert.match(r.stdout, /a run would add CopyObject 1;.*DeleteObjects 1\)/)
    })

    test('a keyMap that maps two keys to one, returns a non-string, or throws stops the job before any copy (exit 2)', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'lakesync-keymap-'))
      const config = (keyMap: string) =>
        `export default { connections: { s: { endpoint: '${server.endpoint}' } }, jobs: { j: { source: 's3://src-bucket/data/', destination: 's3://dst-bucket/keymap/', connection: 's', keyMap: ${keyMap} } } }\n`
      const cases: [string, RegExp][] = [
        ["(k) => k.startsWith('obj-0000') ? 'same.txt' : k", /keyMap maps "data\/obj-00000\.bin" and "data\/obj-00001\.bin" both to "keymap\/same\.txt"/],
        ['(k) => undefined', /keyMap returned undefined for key "obj-00000\.bin"/],
        ['(k) => 42', /keyMap returned 42 for key/],
        ['(k) => Promise.resolve(k)', /keyMap returned a Promise/],
        ["(k) => { if (k.endsWith('7.bin')) throw new Error('no rule for it'); return k }", /keyMap threw on key "obj-00007\.bin": no rule for it/],
        ['async (k) => k', /an async function cannot be a keyMap/],
      ]
      for (const [keyMap, message] of cases) {
        await writeFile(path.join(dir, 'lakesync.config.mjs'), config(keyMap))
        const r = await runCli(['sync', '--config', path.join(dir, 'lakesync.config.mjs')], { env: server.env })
        assert.equal(r.code, 2, `${keyMap}: ${r.stdout}${r.stderr}`)
        assert.match(r.stderr, message, keyMap)
      }
      const c = server.client()
      assert.equal((await snapshot(c, 'dst-bucket', 'keymap/')).size, 0, 'nothing copied')
      c.destroy()
    })

    test('another spelling of the same endpoint is the same endpoint: overlap refused, direct mode kept', async () => {
      const port = server.port
      for (const other of [`http://127.0.0.1:${port}/`, `http://localhost:${port}`, `http://[::ffff:127.0.0.1]:${port}`, `HTTP://LOCALHOST:${port}/`]) {
        const r = await runCli(['sync', '--from', 's3://src-bucket/data/', '--to', 's3://src-bucket/data/nested/', '--source-endpoint', server.endpoint, '--dest-endpoint', other], { env: server.env })
        assert.equal(r.code, 2, `${other}: ${r.stdout}${r.stderr}`)
        assert.match(r.stderr, /lies inside the source/)
      }
      const r = await runCli(['plan', '--from', 's3://src-bucket/data/', '--to', 's3://dst-bucket/mirror/', '--source-endpoint', server.endpoint, '--dest-endpoint', `http://localhost:${port}/`], { env: server.env })
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, /mode direct/)
    })

    test('an endpoint with user:password is refused (exit 2) and the password appears nowhere', async () => {
      const secret = 'lake-user-secret-value'
      const endpoint = server.endpoint.replace('http://', `http://lakeuser:${secret}@`)
      for (const args of [['sync', '--endpoint', endpoint], ['doctor', '--endpoint', endpoint], ['sync', '--source-endpoint', endpoint, '--dest-endpoint', server.endpoint]]) {
        const r = await runCli([...args, '--from', 's3://src-bucket/data/', '--to', 's3://dst-bucket/userinfo/'], { env: server.env })
        assert.equal(r.code, 2, r.stdout + r.stderr)
        assert.match(r.stderr, /must not carry user:password/)
        assert.ok(!(r.stdout + r.stderr).includes(secret), 'the password is never printed')
      }
      const env = await runCli(['sync', '--from', 's3://src-bucket/data/', '--to', 's3://dst-bucket/userinfo/'], { env: { ...server.env, AWS_ENDPOINT_URL: endpoint } })
      assert.equal(env.code, 2, env.stderr)
      assert.ok(!(env.stdout + env.stderr).includes(secret))
    })

    test('no credentials at all: plan and doctor say which connection lacks them (exit 4)', { skip: kind !== 'versitygw' && 'one server is enough (moto accepts any credentials)', timeout: 60_000 }, async () => {
      const home = await mkdtemp(path.join(tmpdir(), 'lakesync-nocreds-'))
      // No profile files, and no instance metadata lookup (it would leave loopback).
      const env = { HOME: home, AWS_CONFIG_FILE: path.join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none'), AWS_EC2_METADATA_DISABLED: 'true', AWS_REGION: 'us-east-1' }
      for (const command of ['plan', 'doctor']) {
        const r = await runCli([command, '--from', 's3://src-bucket/data/', '--to', 's3://dst-bucket/mirror/', '--endpoint', server.endpoint], { env })
        assert.equal(r.code, 4, `${command}: ${r.stdout}${r.stderr}`)
        assert.match(r.stdout + r.stderr, /no credentials found for connection "adhoc"/)
        assert.match(r.stdout + r.stderr, /AWS_PROFILE/)
      }
    })

    test('--verbose never shows what a failing credential_process printed', { skip: kind !== 'versitygw' && 'one server is enough (moto accepts any credentials)', timeout: 60_000 }, async () => {
      const home = await mkdtemp(path.join(tmpdir(), 'lakesync-credproc-'))
      await writeFile(path.join(home, 'config'), `[profile leaky]\ncredential_process = /bin/sh -c "echo leaked-token-value-4711 >&2; exit 1"\n`)
      const env = { HOME: home, AWS_PROFILE: 'leaky', AWS_CONFIG_FILE: path.join(home, 'config'), AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none'), AWS_EC2_METADATA_DISABLED: 'true', AWS_REGION: 'us-east-1' }
      const r = await runCli(['plan', '--verbose', '--from', 's3://src-bucket/data/', '--to', 's3://dst-bucket/mirror/', '--endpoint', server.endpoint], { env })
      assert.equal(r.code, 4, r.stdout + r.stderr)
      assert.match(r.stderr, /CredentialsProviderError: \(its message is not shown/)
      assert.ok(!(r.stdout + r.stderr).includes('leaked-token-value-4711'), r.stderr)
    })

    test('a closed stdout (| head -1) lets the run finish cleanly: no EPIPE crash, everything copied', { skip: kind !== 'versitygw' && 'one server is enough for a pipe', timeout: 120_000 }, async () => {
      const shell = `${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(CLI)} sync --from s3://src-bucket/data/ --to s3://dst-bucket/piped/ --endpoint ${server.endpoint} --verbose | head -1; echo "status \${PIPESTATUS[0]}"`
      const child = spawn('/bin/bash', ['-c', shell], { cwd: ROOT, env: { ...process.env, ...server.env } })
      let out = ''
      let err = ''
      child.stdout.on('data', (d) => (out += d))
      child.stderr.on('data', (d) => (err += d))
      await new Promise((r) => child.on('close', r))
      logOutput('lakesync sync … | head -1', out, err)
      assert.match(out, /status 0/, out + err)
      assert.doesNotMatch(err, /EPIPE|Error:/)
      const c = server.client()
      assert.equal((await snapshot(c, 'dst-bucket', 'piped/')).size, (await snapshot(c, 'src-bucket', 'data/')).size)
      c.destroy()
    })

    test('an unwritable state dir: the run copies without a journal and says so; a /proc state dir ends in seconds', { skip: kind !== 'versitygw' && 'one server is enough', timeout: 60_000 }, async () => {
      const locked = await mkdtemp(path.join(tmpdir(), 'lakesync-locked-'))
      await chmod(locked, 0o500)
      for (const dir of [path.join(locked, 'state'), '/proc/nonexistent/lakesync']) {
        const started = performance.now()
        const r = await runCli(['sync', '--from', 's3://src-bucket/data/', '--to', `s3://dst-bucket/state-${path.basename(dir)}/`, '--endpoint', server.endpoint], { env: { ...server.env, LAKESYNC_STATE_DIR: dir } })
        // root may write anywhere but /proc: the locked dir then simply works.
        assert.equal(r.code, 0, r.stderr)
        if (dir.startsWith('/proc')) assert.match(r.stderr, /warning: no run journal/)
        assert.ok(performance.now() - started < 30_000)
      }
    })
  })
}
