import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3'
import { randomBytes } from 'node:crypto'
import { startS3Server, serverKinds, type S3TestServer } from '../helpers/s3-server.ts'
import { startFaultProxy } from '../helpers/fault-proxy.ts'
import { logOutput, runCli } from '../helpers/cli.ts'
import { countKeys, snapshot } from '../helpers/buckets.ts'
import { generatedKlines, putAll } from '../../scripts/lib/seed.ts'
import { CLI } from '../helpers/paths.ts'

for (const kind of serverKinds({ third: true })) {
  describe(`faults on ${kind}`, { concurrency: false }, () => {
    let server: S3TestServer
    let source: Map<string, string>
    before(async () => {
      server = await startS3Server(kind, { buckets: ['src-bucket', 'dst-bucket'] })
      const client = server.client()
      await putAll(client, 'src-bucket', generatedKlines({ symbols: ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'], intervals: ['1m'], days: 50 }))
      // Above the low multipart threshold the fault cases set: copied and uploaded in parts, under faults.
      await putAll(client, 'src-bucket', [{ key: 'large/12mb.bin', body: new Uint8Array(randomBytes(12 * 1024 * 1024)) }])
      source = await snapshot(client, 'src-bucket')
      client.destroy()
    })
    after(() => server?.stop())

    const identical = async (prefix: string) => {
      const client = server.client()
      assert.deepEqual([...(await snapshot(client, 'dst-bucket', prefix))], [...source], 'byte-identical, nothing extra')
      const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: 'dst-bucket' }))
      assert.deepEqual(uploads.Uploads ?? [], [], 'no multipart upload left open')
      client.destroy()
    }

    for (const [engine, mode] of [['s5cmd', 'direct'], ['sdk', 'direct'], ['lean', 'direct'], ['sdk', 'traditional']] as const) {
      // Object GETs (the only requests reset mid-body) are made by traditional copies alone.
      const faults = mode === 'traditional' ? '503 SlowDown on 20% of requests, GETs reset mid-body and latency spikes' : '503 SlowDown on 20% of requests and latency spikes'
      test(`${mode} (${engine}): ${faults}, an object copied in parts among them: the mirror completes, no upload left open`, { timeout: 300_000 }, async () => {
        const proxy = await startFaultProxy(server.port, { slowDown: 0.2, resetMidBody: 0.1, latencySpike: 0.05, spikeMs: 300 })
        try {
          const prefix = `faults-${engine}-${mode}/`
          const r = await runCli(['sync', '--from', 's3://src-bucket/', '--to', `s3://dst-bucket/${prefix}`, '--endpoint', proxy.endpoint, '--engine', engine, '--mode', mode, '--multipart-threshold', String(5 * 1024 * 1024), '--part-size', String(5 * 1024 * 1024), '--json'], { env: server.env })
          assert.equal(r.code, 0, r.stdout.split('\n').filter((l) => l.includes('"failed"')).slice(0, 3).join('\n') + r.stderr)
          assert.ok(proxy.injected.slowDown > 10, `injected ${JSON.stringify(proxy.injected)}`)
          if (mode === 'traditional') assert.ok(proxy.injected.resets > 0, `resets injected: ${JSON.stringify(proxy.injected)}`)
          const end = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((e) => e.type === 'job-end')
          assert.ok((end.requests.UploadPartCopy ?? end.requests.UploadPart ?? 0) >= 3, `the large object went in parts: ${JSON.stringify(end.requests)}`)
          // s5cmd's requests are its own: lakesync counts those it sends itself.
          if (engine !== 's5cmd') assert.equal(end.throttled, proxy.injected.slowDown, 'the summary counts every SlowDown the server sent')
          if (mode === 'direct' && engine !== 's5cmd') {
            assert.ok(end.adaptive.backoffs.throttled > 0, `the adaptive limit backed off: ${JSON.stringify(end.adaptive)}`)
            const limits = r.stdout.split('\n').filter((l) => l.includes('"type":"progress"')).map((l) => JSON.parse(l).limit)
            assert.ok(limits.every((l) => Number.isInteger(l) && l >= 1), `each progress event carries the limit: ${limits}`)
          }
          await identical(prefix)
        } finally {
          await proxy.close()
        }
      })
    }

    test('server-side copies accepted and never answered: s5cmd is stopped after the stall limit and the items are copied by the SDK engine', { timeout: 300_000 }, async () => {
      const proxy = await startFaultProxy(server.port, { hangCopyOnce: 0.05 })
      try {
        const prefix = 'hung-copies/'
        const started = performance.now()
        const r = await runCli(['sync', '--from', 's3://src-bucket/', '--to', `s3://dst-bucket/${prefix}`, '--endpoint', proxy.endpoint, '--engine', 's5cmd', '--json'], {
          env: { ...server.env, LAKESYNC_S5CMD_STALL_SECONDS: '3' },
        })
        assert.equal(r.code, 0, r.stderr)
        assert.ok(proxy.injected.hangs > 0, `injected ${JSON.stringify(proxy.injected)}`)
        const end = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.type === 'job-end')
        assert.ok(end.engines.sdk >= proxy.injected.hangs, `the hung copies were finished by the SDK engine: ${JSON.stringify(end.engines)}`)
        assert.ok(performance.now() - started < 120_000, 'the run ends instead of waiting on the silent connections')
        await identical(prefix)
      } finally {
        await proxy.close()
      }
    })

    for (const engine of ['sdk', 'lean']) test(`${engine} engine: copies accepted and never answered time out after the socket idle limit and are retried`, { timeout: 300_000 }, async () => {
      const proxy = await startFaultProxy(server.port, { hangCopyOnce: 0.05 })
      try {
        const prefix = `hung-copies-${engine}/`
        const started = performance.now()
        const r = await runCli(['sync', '--from', 's3://src-bucket/', '--to', `s3://dst-bucket/${prefix}`, '--endpoint', proxy.endpoint, '--engine', engine, '--mode', 'direct'], {
          env: { ...server.env, LAKESYNC_SOCKET_TIMEOUT_SECONDS: '3' },
        })
        assert.equal(r.code, 0, r.stderr)
        assert.ok(proxy.injected.hangs > 0, `injected ${JSON.stringify(proxy.injected)}`)
        assert.ok(performance.now() - started < 120_000, 'the run ends instead of waiting on the silent connections')
        await identical(prefix)
      } finally {
        await proxy.close()
      }
    })

    // The destination's object count, read while a run copies: the trigger for kills and restarts.
    const landed = (prefix: string) => countKeys(server, 'dst-bucket', prefix)
    const jobEnd = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((e) => e.type === 'job-end')

    test('killed with SIGKILL 6 times while copying, then run again: the rerun skips what landed, copies the rest, identical', { timeout: 300_000 }, async () => {
      const prefix = 'killed/'
      const args = ['--import', import.meta.resolve('tsx'), CLI, 'sync', '--from', 's3://src-bucket/', '--to', `s3://dst-bucket/${prefix}`, '--endpoint', server.endpoint, '--engine', 'sdk', '--concurrency', '2']
      let last = 0
      for (let i = 0; i < 6; i++) {
        const child = spawn(process.execPath, args, { env: { ...process.env, ...server.env }, stdio: ['ignore', 'pipe', 'pipe'] })
        let output = ''
        child.stdout.on('data', (d) => (output += d))
        child.stderr.on('data', (d) => (output += d))
        const closed = new Promise((r) => child.once('close', r))
        // Each run is killed once it has landed more copies than the run before it left.
        const target = last + 15
        while (child.exitCode === null && (await landed(prefix)) < target) await new Promise((r) => setTimeout(r, 20))
        child.kill('SIGKILL')
        await closed
        logOutput(`lakesync ${args.slice(3).join(' ')} (killed)`, output, '')
        last = await landed(prefix)
        assert.ok(last >= target && last < source.size, `killed mid-copy: ${last} of ${source.size} landed`)
      }
      const final = await runCli(['sync', '--from', 's3://src-bucket/', '--to', `s3://dst-bucket/${prefix}`, '--endpoint', server.endpoint, '--json'], { env: server.env })
      assert.equal(final.code, 0, final.stderr)
      const end = jobEnd(final.stdout)
      assert.ok(end.skipped >= last - 2 && end.skipped > 0, `skipped ${end.skipped}, ${last} had landed`)
      assert.equal(end.copied + end.skipped, source.size)
      assert.ok(end.copied > 0)
      await identical(prefix)
    })

    test('the S3 server restarted while copying: what landed before is skipped by the re-run, and the mirror completes', { skip: kind === 'moto' && 'moto keeps its data in memory; a restart loses the buckets', timeout: 300_000 }, async () => {
      const prefix = 'restart/'
      const sync = () => runCli(['sync', '--from', 's3://src-bucket/', '--to', `s3://dst-bucket/${prefix}`, '--endpoint', server.endpoint, '--engine', 'sdk', '--concurrency', '2', '--json'], { env: server.env })
      const first = sync()
      while ((await landed(prefix)) < 40) await new Promise((r) => setTimeout(r, 20))
      await server.restart()
      const atRestart = await landed(prefix)
      assert.ok(atRestart < source.size, 'the restart came while copying')
      const r1 = await first
      assert.ok([0, 1].includes(r1.code ?? -1), `the first run ends cleanly (${r1.code}): ${r1.stderr}`)
      const r2 = await sync()
      assert.equal(r2.code, 0, r2.stderr)
      const end = jobEnd(r2.stdout)
      assert.ok(end.skipped >= atRestart, `skipped ${end.skipped}, ${atRestart} had landed before the restart`)
      assert.equal(end.copied + end.skipped, source.size)
      await identical(prefix)
    })
  })
}
