// Every metric family the README documents, read back through a Prometheus text-format parser
// from a registry made of a summary with non-zero figures (the e2e suite's plain prefix has no
// gaps, mismatches or bytes through the host to show).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { runRegistry } from '../../src/report/metrics.ts'
import type { JobSummary } from '../../src/api/events.ts'

type Family = { name: string; metrics: { value: string; labels?: Record<string, string> }[] }

test('every documented family carries its figure: through-host bytes, mismatches, gaps, duration, the end time, the exit code', async () => {
  const summary: JobSummary = {
    job: 'binance-spot', mode: 'traditional', engine: 'stream', copied: 7, skipped: 5, failed: 2, planned: 0, bytesCopied: 7000, bytesThroughHost: 7000,
    requests: { GetObject: 7, PutObject: 7 }, engines: { stream: 7 }, peakDiskBytes: 0, peakRssBytes: 0, deleted: 1, mismatches: 3, seconds: 12.5, dryRun: false,
    reasons: { missing: 7, unchanged: 5 }, gaps: { expected: 30, missing: 2, stray: 1 },
    adaptive: { limit: 180, peak: 256, backoffs: { throttled: 4, latency: 1 } }, throttled: 37,
  }
  const finishedAt = new Date('2026-12-04T06:00:00Z')
  const text = await runRegistry({ summaries: [summary], exitCode: 3, finishedAt, lastSuccess: { 'binance-spot': 1764800000 } }).metrics()
  const families = parsePrometheusTextFormat(text) as Family[]
  const value = (name: string, labels: Record<string, string> = {}) => {
    const m = families.find((f) => f.name === name)?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v))
    return m === undefined ? undefined : Number(m.value)
  }
  const job = { lakesync_job: 'binance-spot' }
  assert.equal(value('lakesync_run_through_host_bytes', job), 7000)
  assert.equal(value('lakesync_run_checksum_mismatches', job), 3)
  assert.deepEqual(['expected', 'missing', 'stray'].map((kind) => value('lakesync_run_gap_files', { ...job, kind })), [30, 2, 1])
  assert.equal(value('lakesync_run_duration_seconds', job), 12.5)
  assert.equal(value('lakesync_run_finished_timestamp_seconds'), finishedAt.getTime() / 1000)
  assert.equal(value('lakesync_run_exit_code'), 3)
  assert.deepEqual(['copied', 'skipped', 'failed', 'deleted'].map((action) => value('lakesync_run_objects', { ...job, action })), [7, 5, 2, 1])
  assert.equal(value('lakesync_run_requests', { ...job, operation: 'GetObject' }), 7)
  assert.equal(value('lakesync_last_success_timestamp_seconds', job), 1764800000)
  assert.deepEqual(['end', 'peak'].map((at) => value('lakesync_run_concurrency_limit', { ...job, at })), [180, 256])
  assert.equal(value('lakesync_run_throttled_requests', job), 37)
})
