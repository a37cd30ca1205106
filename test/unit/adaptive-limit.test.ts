import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AdaptiveLimit } from '../../src/engines/adaptive-limit.ts'

/**
 * A destination that takes `ceiling` copies a second at `latencyMs` each and answers the excess
 * with SlowDown, simulated in 10 ms steps with a full pipe (a backfill: copies always waiting).
 * Returns the limit and the throttled share over time.
 */
function simulate(o: { ceiling: number; latencyMs: number; seconds: number; max?: number; jitter?: () => number }) {
  let throttles = 0
  const limit = new AdaptiveLimit({ max: o.max ?? 4096, throttles: () => throttles })
  const trace: { t: number; limit: number; sent: number; throttled: number }[] = []
  let owed = 0
  for (let t = 0; t < o.seconds * 1000; t += 10) {
    const inFlight = limit.limit
    // Each step a tenth of the round trip's copies end: the rate is inFlight / latency.
    const sent = (inFlight * 10) / o.latencyMs
    const throttled = Math.max(0, sent - (o.ceiling * 10) / 1000)
    throttles += throttled
    trace.push({ t, limit: inFlight, sent, throttled })
    owed += sent
    for (; owed >= 1; owed--) limit.sample(o.latencyMs * (o.jitter?.() ?? 1), inFlight)
  }
  return { limit, trace }
}

const between = <T extends { t: number }>(trace: T[], from: number, to: number): T[] => trace.filter((s) => s.t >= from * 1000 && s.t < to * 1000)
const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((a, x) => a + f(x), 0)

test('a backfill finds the ceiling in seconds and holds it: over 90% of it, under 1% of requests throttled', () => {
  // 1,500 copies/s at 100 ms: 150 in flight fill it. The limit starts at 16.
  const { limit, trace } = simulate({ ceiling: 1500, latencyMs: 100, seconds: 60, jitter: () => 0.8 + Math.random() * 0.4 })
  const reached = trace.find((s) => s.limit >= 135)
  assert.ok(reached && reached.t < 5000, `90% of the ceiling's concurrency within 5 s (reached at ${reached?.t} ms)`)
  const held = between(trace, 10, 60)
  const rate = sum(held, (s) => s.sent - s.throttled) / 50
  assert.ok(rate >= 0.9 * 1500, `held ${rate.toFixed(0)} copies/s of 1,500`)
  const share = sum(held, (s) => s.throttled) / sum(held, (s) => s.sent)
  assert.ok(share < 0.01, `throttled ${(share * 100).toFixed(2)}% of requests`)
  assert.ok(limit.backoffs.throttled > 0, 'it probed the ceiling and backed off from it')
})

test('it never goes above its maximum, and a pipe the plan does not fill does not grow it', () => {
  const capped = simulate({ ceiling: 100_000, latencyMs: 50, seconds: 10, max: 200 })
  assert.equal(Math.max(...capped.trace.map((s) => s.limit)), 200)
  let throttles = 0
  const idle = new AdaptiveLimit({ max: 1024, throttles: () => throttles })
  // Only 4 copies at a time come (a daily run's trickle): rounds end, none of them full.
  for (let i = 0; i < 10_000; i++) idle.sample(100, 4)
  assert.equal(idle.limit, 16)
})

test('SlowDown halves it in slow start, then takes 10% off once a round; rising latency backs it off too', () => {
  let throttles = 0
  const limit = new AdaptiveLimit({ max: 1024, throttles: () => throttles })
  const round = (latency = 100) => { const n = limit.limit; for (let i = 0; i < n; i++) limit.sample(latency, n) }
  round(); round()
  assert.equal(limit.limit, 64, 'slow start doubles each full round')
  const answers = (n: number) => { for (let i = 0; i < n; i++) limit.sample(100, limit.limit) }
  throttles += 5
  answers(1)
  assert.equal(limit.limit, 32, 'the first SlowDown ends slow start at half')
  throttles += 2
  answers(32)
  assert.equal(limit.limit, 32, 'the next round of answers speaks of the old limit: no second decrease')
  round()
  assert.equal(limit.limit, 33, 'then it grows by 1% (at least one) a round')
  throttles += 1
  answers(1)
  assert.equal(limit.limit, 29, '90% of 33')
  answers(29)
  round(); round()
  round(400)
  assert.equal(limit.backoffs.latency, 1, 'a round at four times the floor latency')
  assert.deepEqual(limit.backoffs, { throttled: 2, latency: 1 })
})

test('when most answers say SlowDown (the work left sits in fewer partitions), the cut is that share, down to half', () => {
  let throttles = 0
  const limit = new AdaptiveLimit({ max: 1024, throttles: () => throttles, start: 100 })
  const answers = (n: number, slowDowns = 0) => { for (let i = 0; i < n; i++) (throttles += slowDowns, limit.sample(100, limit.limit)) }
  answers(100)
  throttles++
  answers(1)
  assert.equal(limit.limit, 100, 'slow start ends at half: 200 → 100')
  throttles += 43
  answers(100)
  answers(1, 1)
  assert.equal(limit.limit, 69, '44 SlowDowns and 101 answers since the last cut: 30% of the requests, a cut of 30%')
  answers(70, 3)
  answers(1, 1)
  assert.equal(limit.limit, 34, 'mostly SlowDown: half, no deeper')
})
