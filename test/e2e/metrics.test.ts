// Metrics for monitoring: --metrics-file (node_exporter's textfile collector) and --pushgateway,
// read back with a Prometheus text-format parser and compared with the run's own summary.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { watch } from 'node:fs'
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { ListObjectsV2Command } from '@aws-sdk/client-s3'
import { tmpdir } from 'node:os'
import path from 'node:path'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { runCli } from '../helpers/cli.ts'
import { klinesBed } from '../helpers/klines-bed.ts'

type Family = { name: string; type: string; metrics: { value: string; labels?: Record<string, string> }[] }
const value = (families: Family[], name: string, labels: Record<string, string> = {}) => {
  const m = families.find((f) => f.name === name)?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v))
  return m === undefined ? undefined : Number(m.value)
}

describe('run metrics', () => {
  const bed = klinesBed('metrics', 30)
  const { env } = bed
  let dir: string
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lakesync-metrics-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))
  const args = (to: string, ...more: string[]) => ['sync', '--from', 's3://src-bucket/', '--to', `s3://${to}/`, '--endpoint', bed.server.endpoint, '--json', ...more]

  test('--metrics-file: a textfile the parser reads, whose figures equal the run summary; a failed run says so and keeps the last success', async () => {
    const file = path.join(dir, 'textfile', 'lakesync.prom')
    await mkdir(path.dirname(file), { recursive: true })
    // A collector must never see the file half written: it appears by a rename only, never changed in place.
    const changes: string[] = []
    const watcher = watch(path.dirname(file), (event, name) => void (name === 'lakesync.prom' && changes.push(event)))
    const startedAt = Date.now() / 1000
    const r = await runCli(args('dst-bucket/m', '--metrics-file', file), { env: env() })
    await new Promise((resolve) => setTimeout(resolve, 100))
    watcher.close()
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(changes, ['rename'], 'the metrics file arrived by a rename')
    const summary = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.type === 'job-end')
    const families = parsePrometheusTextFormat(await readFile(file, 'utf8')) as Family[]
    const job = { lakesync_job: 'adhoc' }
    assert.equal(value(families, 'lakesync_run_objects', { ...job, action: 'copied' }), summary.copied)
    assert.equal(value(families, 'lakesync_run_objects', { ...job, action: 'copied' }), 120)
    assert.equal(value(families, 'lakesync_run_objects', { ...job, action: 'failed' }), 0)
    assert.equal(value(families, 'lakesync_run_copied_bytes', job), summary.bytesCopied)
    assert.equal(value(families, 'lakesync_run_requests', { ...job, operation: 'CopyObject' }), summary.requests.CopyObject)
    assert.equal(value(families, 'lakesync_run_object_reasons', { ...job, reason: 'missing' }), 120)
    assert.equal(value(families, 'lakesync_run_exit_code'), 0)
    // Counted apart from lakesync: the destination holds the 120 copies the metrics claim.
    const c = bed.server.client()
    assert.equal((await c.send(new ListObjectsV2Command({ Bucket: 'dst-bucket', Prefix: 'm/' }))).KeyCount, 120)
    c.destroy()
    assert.equal(value(families, 'lakesync_run_through_host_bytes', job), 0, 'server-side copies: no bytes through the host')
    assert.equal(value(families, 'lakesync_run_checksum_mismatches', job), 0)
    const seconds = value(families, 'lakesync_run_duration_seconds', job)!
    assert.ok(seconds > 0 && seconds <= Date.now() / 1000 - startedAt, `duration ${seconds} s within the run`)
    const finished = value(families, 'lakesync_run_finished_timestamp_seconds')!
    assert.ok(finished >= startedAt && finished <= Date.now() / 1000, `finished at ${finished}`)
    const success = value(families, 'lakesync_last_success_timestamp_seconds', job)!
    assert.ok(Math.abs(success - Date.now() / 1000) < 120, `last success ${success}`)
    assert.ok(families.every((f) => f.type === 'GAUGE' && /^lakesync_[a-z_]+$/.test(f.name)))
    assert.deepEqual((await readdir(path.dirname(file))).sort(), ['lakesync.prom'], 'written whole and renamed: no temp file left')

    // The destination bucket does not exist: preflight fails (exit 4); the file says so.
    const failed = await runCli(args('no-such-bucket/m', '--metrics-file', file), { env: env() })
    assert.equal(failed.code, 4, failed.stderr)
    const after = parsePrometheusTextFormat(await readFile(file, 'utf8')) as Family[]
    assert.equal(value(after, 'lakesync_run_exit_code'), 4)
    assert.equal(value(after, 'lakesync_last_success_timestamp_seconds', job), success, 'the last success is kept')
  })

  test('--pushgateway: the same metrics are pushed to the gateway', async () => {
    const pushed: { method: string; url: string; body: string }[] = []
    const gateway = http.createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c)).on('end', () => {
        pushed.push({ method: req.method!, url: req.url!, body })
        res.writeHead(200).end()
      })
    })
    await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r))
    try {
      const port = (gateway.address() as { port: number }).port
      const r = await runCli(args('dst-bucket/p', '--pushgateway', `http://127.0.0.1:${port}`), { env: env() })
      assert.equal(r.code, 0, r.stderr)
      assert.equal(pushed.length, 1)
      assert.equal(pushed[0]!.method, 'POST')
      assert.equal(pushed[0]!.url, '/metrics/job/lakesync')
      const families = parsePrometheusTextFormat(pushed[0]!.body) as Family[]
      assert.equal(value(families, 'lakesync_run_objects', { lakesync_job: 'adhoc', action: 'copied' }), 120)
      // A failed run pushes too, and says how it ended.
      const failed = await runCli(args('no-such-bucket/p', '--pushgateway', `http://127.0.0.1:${port}`), { env: env() })
      assert.equal(failed.code, 4, failed.stderr)
      assert.equal(pushed.length, 2)
      assert.equal(value(parsePrometheusTextFormat(pushed[1]!.body) as Family[], 'lakesync_run_exit_code'), 4)
    } finally {
      gateway.close()
    }
  })

  test('a Pushgateway URL with a password and a token: both masked in the journal, `runs --json` and every message', async () => {
    const gateway = http.createServer((req, res) => void req.resume().on('end', () => res.writeHead(500).end()))
    await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r))
    try {
      const port = (gateway.address() as { port: number }).port
      // The suite's secret sweep (scripts/test.sh) searches every output and journal for lakesync-test-secret-.
      const url = `http://ops:lakesync-test-secret-pw@127.0.0.1:${port}/?token=lakesync-test-secret-token&x=1`
      const r = await runCli(args('dst-bucket/masked', '--pushgateway', url), { env: env() })
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stderr, /could not push metrics to http:\/\/\*\*\*@127\.0\.0\.1:\d+\/\?token=\*\*\*&x=\*\*\*/)
      const runs = await runCli(['runs', '--json', '--limit', '1'], { env: env() })
      assert.match(runs.stdout, /--pushgateway http:\/\/\*\*\*@127\.0\.0\.1:\d+\/\?token=\*\*\*&x=\*\*\*/)
      const journals = path.join(bed.state, 'runs')
      for (const f of await readdir(journals)) assert.doesNotMatch(await readFile(path.join(journals, f), 'utf8'), /lakesync-test-secret-/, f)
      assert.doesNotMatch(r.stdout + r.stderr + runs.stdout, /lakesync-test-secret-/)
    } finally {
      gateway.close()
    }
  })

  test('--pushgateway that is no http(s) URL is refused before the run (exit 2); --metrics-file naming a folder leaves no temp file', async () => {
    const bad = await runCli(args('dst-bucket/bad', '--pushgateway', 'not a url'), { env: env() })
    assert.equal(bad.code, 2, bad.stderr)
    assert.match(bad.stderr, /--pushgateway: expected an http\(s\) URL such as http:\/\/pushgateway:9091\/, got "not a url"/)
    const folder = path.join(dir, 'a-folder')
    await mkdir(folder)
    const r = await runCli(args('dst-bucket/dir', '--metrics-file', folder), { env: env() })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /could not write the metrics file/)
    assert.deepEqual(await readdir(path.dirname(folder)).then((fs) => fs.filter((f) => f.startsWith(path.basename(folder)) && f.endsWith('.tmp'))), [], 'no DIR.PID.tmp left')
  })
})
