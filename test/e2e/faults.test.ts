import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3'
import { startS3Server, serverKinds, type S3TestServer } from '../helpers/s3-server.ts'
import { startFaultProxy } from '../helpers/fault-proxy.ts'
import { runCli } from '../helpers/cli.ts'
import { snapshot } from '../helpers/buckets.ts'
import { generatedKlines, putAll } from '../../scripts/lib/seed.ts'
import { CLI } from '../helpers/paths.ts'

for (const kind of serverKinds()) {
  describe(`faults on ${kind}`, { concurrency: false }, () => {
    let server: S3TestServer
    let source: Map<string, string>
    before(async () => {
      server = await startS3Server(kind, { buckets: ['src-bucket', 'dst-bucket'] })
      const client = server.client()
      await putAll(client, 'src-bucket', generatedKlines({ symbols: ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'], intervals: ['1m'], days: 50 }))
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

    for (const [engine, mode] of [['s5cmd', 'direct'], ['sdk', 'direct'], ['sdk', 'traditional']] as const) {
      // Seen once here: s5cmd through the fault proxy to moto stalled for minutes (not understood
      // yet; moto serves 64 parallel connections poorly). The s5cmd case runs on versitygw.
      const skip = engine === 's5cmd' && kind === 'moto' && 's5cmd via the fault proxy to moto stalled once; runs on versitygw'
      test(`${mode} (${engine}): 503 SlowDown on 20% of requests, resets mid-body and latency spikes: the mirror completes`, { skip, timeout: 300_000 }, async () => {
        const proxy = await startFaultProxy(server.port, { slowDown: 0.2, resetMidBody: 0.1, latencySpike: 0.05, spikeMs: 300 })
        try {
          const prefix = `faults-${engine}-${mode}/`
          const r = await runCli(['sync', '--from', 's3://src-bucket/', '--to', `s3://dst-bucket/${prefix}`, '--endpoint', proxy.endpoint, '--engine', engine, '--mode', mode], { env: server.env })
          assert.equal(r.code, 0, r.stdout.split('\n').filter((l) => l.includes('FAILED')).slice(0, 3).join('\n') + r.stderr)
          assert.ok(proxy.injected.slowDown > 10, `injected ${JSON.stringify(proxy.injected)}`)
          await identical(prefix)
        } finally {
          await proxy.close()
        }
      })
    }

    test('server-side copies accepted and never answered: s5cmd is stopped after the stall limit and the items are copied by the SDK engine', { skip: kind === 'moto' && 's5cmd via the fault proxy to moto stalled once; runs on versitygw', timeout: 300_000 }, async () => {
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

    test('sdk engine: copies accepted and never answered time out after the socket idle limit and are retried', { timeout: 300_000 }, async () => {
      const proxy = await startFaultProxy(server.port, { hangCopyOnce: 0.05 })
      try {
        const prefix = 'hung-copies-sdk/'
        const started = performance.now()
        const r = await runCli(['sync', '--from', 's3://src-bucket/', '--to', `s3://dst-bucket/${prefix}`, '--endpoint', proxy.endpoint, '--engine', 'sdk', '--mode', 'direct'], {
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

    test('killed with SIGKILL at 10 points, then run again: the mirror is complete and identical', { timeout: 300_000 }, async () => {
      const prefix = 'killed/'
      const args = ['--import', import.meta.resolve('tsx'), CLI, 'sync', '--from', 's3://src-bucket/', '--to', `s3://dst-bucket/${prefix}`, '--endpoint', server.endpoint, '--engine', 'sdk', '--concurrency', '2']
      for (let i = 0; i < 10; i++) {
        const child = spawn(process.execPath, args, { env: { ...process.env, ...server.env }, stdio: 'ignore' })
        const closed = new Promise((r) => child.once('close', r))
        // Points spread over start-up, listing and copying (start-up alone takes ~1 s).
        await new Promise((r) => setTimeout(r, 700 + ((i * 397) % 1500)))
        child.kill('SIGKILL')
        await closed
      }
      const final = await runCli(['sync', '--from', 's3://src-bucket/', '--to', `s3://dst-bucket/${prefix}`, '--endpoint', server.endpoint], { env: server.env })
      assert.equal(final.code, 0, final.stderr)
      await identical(prefix)
    })

    test('the S3 server restarted mid-run: a re-run completes the mirror', { skip: kind === 'moto' && 'moto keeps its data in memory; a restart loses the buckets' }, async () => {
      const prefix = 'restart/'
      const sync = () => runCli(['sync', '--from', 's3://src-bucket/', '--to', `s3://dst-bucket/${prefix}`, '--endpoint', server.endpoint, '--engine', 'sdk', '--concurrency', '2'], { env: server.env })
      const first = sync()
      await new Promise((r) => setTimeout(r, 1500))
      await server.restart()
      const r1 = await first
      assert.ok([0, 1, 4].includes(r1.code ?? -1), `first run ends cleanly (${r1.code})`)
      const r2 = await sync()
      assert.equal(r2.code, 0, r2.stderr)
      await identical(prefix)
    })
  })
}
