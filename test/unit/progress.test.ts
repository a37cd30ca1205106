import { test } from 'node:test'
import assert from 'node:assert/strict'
import { progressLine } from '../../src/report/format.ts'
import { plainRenderer } from '../../src/report/render-plain.ts'
import { ProgressMeter } from '../../src/run/progress.ts'
import type { JobProgress } from '../../src/api/events.ts'

const at = (seconds: number, o: Partial<JobProgress> = {}): { type: 'progress' } & JobProgress => ({
  type: 'progress', job: 'daily', seconds, listed: 5000, toCopy: 1200, skipped: 3800, inFlight: 64, answered: 300, copied: 200, failed: 1,
  bytesCopied: 2e7, throttled: 0, objectsPerSecond: 812.4, bytesPerSecond: 4.2e7, listingDone: true, etaSeconds: 2, ...o,
})

test('the progress line: answered of the total, checked, rate, and an ETA once the plan is complete', () => {
  assert.equal(progressLine(at(3)), 'copied 300 of 1,200 (200 checked), failed 1, in flight 64, unchanged 3,800 · 812 objects/s, 42.0 MB/s · ETA 2 s')
  assert.equal(progressLine(at(3, { listingDone: false, etaSeconds: undefined })), 'copied 300 of 1,200 planned so far (5,000 listed) (200 checked), failed 1, in flight 64, unchanged 3,800 · 812 objects/s, 42.0 MB/s')
  assert.match(progressLine(at(3, { etaSeconds: 600 })), /ETA 10 min$/)
  assert.match(progressLine(at(3, { limit: 96, throttled: 12 })), /, in flight 64 \(limit 96\), throttled 12, unchanged/, 'an adaptive job shows its limit, and the throttled answers once there are any')
  assert.match(progressLine(at(3, { etaSeconds: 36_000 })), /ETA 10\.0 h$/)
})

test('plain output (cron, CI) prints a progress line at most every 30 s per job', () => {
  const lines: string[] = []
  const render = plainRenderer((l) => lines.push(l))
  for (let s = 1; s <= 95; s++) render(at(s))
  render(at(40, { job: 'other' }))
  assert.deepEqual(lines.map((l) => l.split(':')[0]), ['daily', 'daily', 'daily', 'other'])
  assert.equal(lines.length, 4, lines.join('\n'))
})

test('the first report, a second into the job, already carries a rate', async () => {
  const meter = new ProgressMeter()
  const started = performance.now()
  meter.answered = 50
  meter.answeredBytes = 5000
  await new Promise((r) => setTimeout(r, 100))
  // At least this long has passed for the meter, which started first (a timer may fire a hair early by this clock).
  const atLeast = (performance.now() - started) / 1000
  const first = meter.snapshot('daily', { copied: 0, failed: 0, skipped: 0, bytesCopied: 0 })
  assert.ok(first.objectsPerSecond > 0 && first.objectsPerSecond <= 50 / atLeast, `50 answered in ${atLeast.toFixed(4)} s: ${first.objectsPerSecond}/s`)
  assert.ok(first.bytesPerSecond > 0)
})

test('the rate is the last five seconds\' (not the run\'s average): copies that stop show as a falling rate, a burst as a rising one', () => {
  let clock = 0
  const meter = new ProgressMeter(() => clock)
  const none = { copied: 0, failed: 0, skipped: 0, bytesCopied: 0 }
  meter.toCopy = 10_000
  meter.listingDone = true
  // Ten seconds at 100 copies a second, reported every second.
  for (let s = 1; s <= 10; s++) (clock = s * 1000), (meter.answered = s * 100), (meter.answeredBytes = s * 1000), meter.snapshot('daily', none)
  // Then nothing for six seconds: the window holds no copy, while the average since the start would still say ~62/s.
  let last = meter.snapshot('daily', none)
  for (let s = 11; s <= 16; s++) (clock = s * 1000), (last = meter.snapshot('daily', none))
  assert.equal(last.objectsPerSecond, 0, 'no copies in the last five seconds')
  assert.equal(last.etaSeconds, undefined, 'no rate, no ETA')
  // A burst of 2,000 in the next second: the window's rate, ~2000/5, not the average since the start (~176/s).
  clock = 17_000
  meter.answered += 2000
  const burst = meter.snapshot('daily', none)
  assert.ok(burst.objectsPerSecond >= 333 && burst.objectsPerSecond <= 400, `${burst.objectsPerSecond}/s over the window`)
})
