// ItemBook (the open items of a run) and JobTally (a job's summary and its item events), with a
// fake emitter and a real plugin container: no server.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ItemBook } from '../../src/run/item-book.ts'
import { JobTally } from '../../src/run/job-tally.ts'
import { PluginContainer } from '../../src/plugins/container.ts'
import type { ResolvedJob } from '../../src/api/config.ts'
import type { LakesyncEvent } from '../../src/api/events.ts'
import type { CopyItem } from '../../src/engines/types.ts'

const item = (key: string, size = 10): CopyItem => ({ action: 'copy', key, destKey: `d/${key}`, size, etag: '"e"', reason: 'missing' })

test('ItemBook: an item is open from submission to close; its tries and notes go with it; a closed item stays closed', () => {
  const book = new ItemBook()
  const a = item('a')
  const b = item('b')
  book.submitted(a, 's5cmd')
  book.submitted(b, 'sdk')
  book.setAttempt(a, 2)
  book.setNote(a, 'rescued by sdk')
  assert.deepEqual([...book.waiting()].map((w) => [w.item.key, w.engine]), [['a', 's5cmd'], ['b', 'sdk']])
  assert.equal(book.attempt(a), 2)
  assert.equal(book.close(a), true)
  assert.equal(book.close(a), false, 'a late outcome finds it closed')
  assert.equal(book.isOpen(a), false)
  assert.equal(book.attempt(a), 0, 'tries are forgotten with the item')
  assert.equal(book.note(a), undefined)

  // Interrupted: what was still open is reported once, with whether its copy had been answered OK.
  const c = item('c')
  book.submitted(c, 'sdk')
  book.outcome(b, true)
  const reported: [string, boolean][] = []
  book.closeAll((w, answered) => reported.push([w.item.key, answered]))
  assert.deepEqual(reported, [['b', true], ['c', false]])
  assert.deepEqual([...book.waiting()], [])
})

test('JobTally: summary counts and item events agree, batches count their own items, nothing is told after the summary', async () => {
  const events: LakesyncEvent[] = []
  const told: string[] = []
  const plugins = new PluginContainer([{ name: 'recorder', afterItem: (r) => void told.push(`${r.action} ${r.key}`), afterJob: (s) => void told.push(`job ${s.job}`) }])
  const tally = new JobTally({ name: 'daily' } as ResolvedJob, { counts: {} } as any, false, async (e) => void events.push(e), plugins)

  await tally.skipped({ action: 'skip', key: 's', destKey: 'd/s', size: 5, etag: '"e"', reason: 'unchanged' })
  await tally.batchStarted(1, 's5cmd')
  await tally.outcome({ item: item('a', 100), ok: true, engine: 's5cmd', note: 'SHA-256 matches its sidecar' }, 1)
  await tally.outcome({ item: item('b', 7), ok: false, engine: 's5cmd', code: 'ChecksumMismatch', error: 'SHA-256 mismatch' }, 1)
  await tally.batchEnded(1)
  await tally.outcome({ item: item('c', 1), ok: true, engine: 'sdk' }, undefined)
  tally.interrupted(item('d'), true)
  const summary = await tally.end(false)

  assert.deepEqual(
    { copied: summary.copied, failed: summary.failed, skipped: summary.skipped, mismatches: summary.mismatches, bytes: summary.bytesCopied, engines: summary.engines, reasons: summary.reasons, interrupted: summary.interrupted },
    { copied: 2, failed: 1, skipped: 1, mismatches: 1, bytes: 101, engines: { s5cmd: 1, sdk: 1 }, reasons: { unchanged: 1, missing: 2 }, interrupted: { unconfirmed: 1, noAnswer: 0 } },
  )
  const items = events.filter((e) => e.type === 'item') as any[]
  assert.deepEqual(items.map((e) => [e.key, e.action]), [['s', 'skipped'], ['a', 'copied'], ['b', 'failed'], ['c', 'copied']])
  assert.match(items[1].reason, /; SHA-256 matches its sidecar$/)
  const { seconds, ...batchEnd } = events.find((e) => e.type === 'batch-end') as any
  assert.deepEqual(batchEnd, { type: 'batch-end', job: 'daily', batch: 1, copied: 1, failed: 1, bytes: 100 })
  assert.ok(seconds >= 0 && seconds < 5, `the batch's seconds, from its start to its end: ${seconds}`)
  assert.deepEqual(told, ['skipped s', 'copied a', 'failed b', 'copied c', 'job daily'])

  // An outcome that arrives after the summary (an interrupted engine's) changes and prints nothing.
  await tally.outcome({ item: item('late'), ok: true, engine: 'sdk' }, undefined)
  assert.equal(events.filter((e) => e.type === 'item').length, 4)
  assert.equal(told.length, 5)
  assert.equal(summary.copied, 2, 'the summary given out stays as it was')
})
