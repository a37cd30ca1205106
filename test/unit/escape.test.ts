import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Escape } from '../../src/util/escape.ts'

test('a race settles as its promise does, or with nothing once the escape fires', async () => {
  const escape = new Escape()
  assert.equal(await escape.race(Promise.resolve(7)), 7)
  await assert.rejects(escape.race(Promise.reject(new Error('copy failed'))), /copy failed/)
  const never = escape.race(new Promise(() => {}))
  escape.fire()
  assert.equal(await never, undefined)
  assert.equal(await escape.race(new Promise(() => {})), undefined, 'after the event, nothing waits')
})

test('settled races leave nothing behind: a run of many copies that never gives up holds no memory per copy', async () => {
  const escape = new Escape()
  for (let i = 0; i < 10_000; i++) await escape.race(Promise.resolve(i))
  assert.equal(escape.pending, 0)
  const open = escape.race(new Promise(() => {}))
  assert.equal(escape.pending, 1)
  escape.fire()
  await open
  assert.equal(escape.pending, 0)
})
