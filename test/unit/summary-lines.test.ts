import { test } from 'node:test'
import assert from 'node:assert/strict'
import { summaryLines } from '../../src/report/format.ts'
import type { JobSummary } from '../../src/api/events.ts'

const summary = (over: Partial<JobSummary>): JobSummary => ({
  job: 'daily', mode: 'direct', engine: 'lean', copied: 0, skipped: 0, failed: 0, planned: 0, bytesCopied: 0, bytesThroughHost: 0,
  requests: {}, engines: {}, peakDiskBytes: 0, peakRssBytes: 0, deleted: 0, mismatches: 0, seconds: 1, dryRun: false, reasons: {}, ...over,
})

test('the why line says what happened when no copy counts: nothing listed, every copy failed, stopped, interrupted', () => {
  const why = (s: JobSummary) => summaryLines(s).find((l) => l.startsWith('  why: '))
  assert.equal(why(summary({})), '  why: nothing listed')
  assert.equal(why(summary({ failed: 3 })), '  why: nothing copied (the failures are listed above)', 'everything listed failed: not "nothing listed"')
  assert.equal(why(summary({ interrupted: { unconfirmed: 1, noAnswer: 2 } })), '  why: nothing confirmed before the interrupt')
  const stopped = summaryLines(summary({ stopped: 'Access Denied (AccessDenied, HTTP 403)', interrupted: { unconfirmed: 0, noAnswer: 4 } }))
  assert.match(stopped[0]!, /^daily: STOPPED: copied 0 /)
  assert.equal(stopped[1], '  stopped by: Access Denied (AccessDenied, HTTP 403)')
  assert.equal(why(summary({ stopped: 'x' })), '  why: nothing confirmed before it stopped')
})
