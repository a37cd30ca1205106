import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readAhead } from '../../src/util/read-ahead.ts'

async function* source(n: number, read: number[], failAt?: number) {
  for (let i = 0; i < n; i++) {
    if (i === failAt) throw new Error(`listing failed at ${i}`)
    read.push(i)
    yield i
  }
}

test('read ahead: every item in order, the end known before the consumer gets there, at most about max held', async () => {
  const read: number[] = []
  let ended = false
  const seen: number[] = []
  const it = readAhead(source(100, read), 10, { onEnd: () => (ended = true) })
  for await (const x of it) {
    seen.push(x)
    if (x === 0) {
      await new Promise((r) => setTimeout(r, 20))
      assert.ok(read.length <= 22 && read.length >= 10, `read ahead of the consumer, but bounded: ${read.length} read`)
    }
  }
  assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => i))
  assert.ok(ended)
  // A short plan is read to its end while the consumer still holds its first item.
  let shortEnded = false
  for await (const x of readAhead(source(5, []), 10, { onEnd: () => (shortEnded = true) })) {
    if (x === 0) await new Promise((r) => setTimeout(r, 10))
    if (x === 0) assert.ok(shortEnded, 'the end of a plan that fits is known at once')
  }
})

test('read ahead: a source error reaches the consumer after the items before it; a consumer that stops ends the source', async () => {
  const seen: number[] = []
  await assert.rejects(async () => {
    for await (const x of readAhead(source(10, [], 6), 3)) seen.push(x)
  }, /listing failed at 6/)
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5])
  const read: number[] = []
  for await (const x of readAhead(source(1000, read), 5)) if (x === 2) break
  await new Promise((r) => setTimeout(r, 10))
  assert.ok(read.length < 20, `the source stopped (${read.length} read)`)
})
