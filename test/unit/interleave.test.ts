import { test } from 'node:test'
import assert from 'node:assert/strict'
import { inLanes, interleave, laneStarts } from '../../src/plan/interleave.ts'

async function* parts<T>(...xs: (T[] | AsyncIterable<T>)[]) {
  yield* xs
}
const all = async <T>(it: AsyncIterable<T>) => { const out: T[] = []; for await (const x of it) out.push(x); return out }

test('parts are taken in turn, up to the width; an ended part makes room for the next; each keeps its order', async () => {
  const a = ['a1', 'a2', 'a3'], b = ['b1'], c = ['c1', 'c2'], d = ['d1']
  assert.deepEqual(await all(interleave(parts(a, b, c, d), 2)), ['a1', 'b1', 'a2', 'c1', 'a3', 'c2', 'd1'])
  assert.deepEqual(await all(interleave(parts(a, b, c, d), 1)), [...a, ...b, ...c, ...d], 'width 1 is the plain order')
  async function* slow() { for (const x of ['s1', 's2']) { await new Promise((r) => setTimeout(r, 5)); yield x } }
  assert.deepEqual(await all(interleave(parts<string>(slow(), ['x1', 'x2', 'x3']), 4)), ['s1', 'x1', 's2', 'x2', 'x3'])
})

test('every open part starts at once: a lane that lists before its first item does not wait for the turn to reach it', async () => {
  const started: string[] = []
  async function* part(name: string) { started.push(name); await new Promise((r) => setTimeout(r, 5)); yield `${name}1` }
  const it = interleave(parts(part('p'), part('q'), part('r')), 3)
  assert.equal((await it.next()).value, 'p1')
  assert.deepEqual(started, ['p', 'q', 'r'])
  await it.return(undefined)
})

test('a consumer that stops early ends the open parts (their listings stop)', async () => {
  const ended: string[] = []
  async function* part(name: string) { try { for (let i = 0; ; i++) yield `${name}${i}` } finally { ended.push(name) } }
  for await (const x of interleave(parts(part('p'), part('q')), 2)) if (x === 'q1') break
  assert.deepEqual(ended.sort(), ['p', 'q'])
})

test('in lanes: the list cut into lanes of neighbours (sizes one apart at most), each planned in order, their items taken in turn', async () => {
  assert.deepEqual(laneStarts(100, 16).slice(0, 6), [0, 6, 12, 18, 25, 31], 'lanes of 6 or 7, evenly over the range')
  const planned: number[] = []
  const plan = async (x: string, i: number) => (planned.push(i), [`${x}1`, `${x}2`])
  assert.deepEqual(await all(inLanes(['a', 'b', 'c', 'd', 'e'], 2, 2, plan)), ['a1', 'c1', 'a2', 'c2', 'b1', 'd1', 'b2', 'd2', 'e1', 'e2'])
  assert.deepEqual(planned.sort(), [0, 1, 2, 3, 4], 'each part planned once, with its index in the whole list')
  assert.deepEqual(await all(inLanes(['a', 'b', 'c'], 1, 2, plan)), ['a1', 'a2', 'b1', 'b2', 'c1', 'c2'], 'one lane: list order')
})
