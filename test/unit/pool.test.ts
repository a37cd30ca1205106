import { test } from 'node:test'
import assert from 'node:assert/strict'
import { forEachPool } from '../../src/util/pool.ts'

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

test('forEachPool: every item once, at most `limit` in flight', async () => {
  let now = 0
  let most = 0
  const seen: number[] = []
  await forEachPool(Array.from({ length: 20 }, (_, i) => i), 4, async (i) => {
    most = Math.max(most, ++now)
    await pause(i % 3)
    seen.push(i)
    now--
  })
  assert.equal(most, 4)
  assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i))
})

test('forEachPool: the first error stops it taking items, and is thrown only once the calls in flight have ended', async () => {
  const ended: number[] = []
  const taken: number[] = []
  await assert.rejects(forEachPool(Array.from({ length: 10 }, (_, i) => i), 3, async (i) => {
    taken.push(i)
    if (i === 1) await pause(5).then(() => Promise.reject(new Error('part 1 refused')))
    await pause(30)
    ended.push(i)
  }), /part 1 refused/)
  assert.deepEqual(ended.sort(), [0, 2], 'the parts in flight when part 1 failed ended before the error came out')
  assert.ok(taken.length <= 4, `no more items taken after the error: ${taken}`)
})

test('forEachPool: a source that fails is thrown after the calls in flight end; an abort stops it quietly', async () => {
  const ended: number[] = []
  async function* listing() {
    yield 1
    yield 2
    throw new Error('listing cut')
  }
  await assert.rejects(forEachPool(listing(), 4, async (i) => (await pause(20), void ended.push(i))), /listing cut/)
  assert.deepEqual(ended, [1, 2])

  const stop = new AbortController()
  const done: number[] = []
  await forEachPool(Array.from({ length: 100 }, (_, i) => i), 2, async (i) => {
    if (i === 3) stop.abort()
    await pause(1)
    done.push(i)
  }, stop.signal)
  assert.ok(done.length <= 5, `stops taking items once aborted: ${done.length}`)
})
