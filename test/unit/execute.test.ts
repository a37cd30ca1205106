// executePlan at its seam: fake engines (no server, no s5cmd) that answer as each test says.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { executePlan, type ExecuteHandlers, type RunEvent } from '../../src/run/execute.ts'
import { readRun, type RunObserver } from '../../src/run/read-run.ts'
import type { Routes } from '../../src/route/mode.ts'
import type { CopyItem, CopyOutcome, Engine, EngineContext } from '../../src/engines/types.ts'
import type { ItemErrorAction, ResolvedJob } from '../../src/api/config.ts'
import { RequestCounter } from '../../src/storage/meters.ts'

type Answer = Omit<CopyOutcome, 'item' | 'engine'>

/** An engine that answers each key from a script (first answer first), else OK. */
function fakeEngine(name: Engine['name'], script: Record<string, Answer[]> = {}, accepts = (_: CopyItem) => true): Engine & { seen: string[]; sessions: { opened: number; closed: number } } {
  const seen: string[] = []
  const sessions = { opened: 0, closed: 0 }
  return {
    name, seen, sessions, accepts: (item) => accepts(item),
    // As the real engines: s5cmd runs a process per batch and form-encodes its copy sources, the others one session per run.
    capabilities: { serverSide: !['stream', 'staged'].includes(name), batchProcess: name === 's5cmd', answersWithEtag: name === 'lean' || name === 'sdk', formEncodedSource: name === 's5cmd' },
    open: (_ctx, onOutcome) => {
      sessions.opened++
      let pending = 0
      let idle = () => {}
      return {
        async submit(item) {
          seen.push(item.key)
          pending++
          setImmediate(() => {
            onOutcome({ item, engine: name, ...(script[item.key]?.shift() ?? { ok: true }) })
            if (--pending === 0) idle()
          })
        },
        close: () => (sessions.closed++, pending ? new Promise<void>((r) => (idle = r)) : Promise.resolve()),
      }
    },
  }
}

const item = (key: string): CopyItem => ({ action: 'copy', key, destKey: key, size: 1, etag: '', reason: 'missing' })
const ctx = (batchSize = 2): EngineContext => ({
  job: { name: 'j', batchSize, concurrency: 4, verify: 'size' } as unknown as ResolvedJob,
  signal: new AbortController().signal, counter: new RequestCounter(), needs: {}, dest: {} as any, source: {} as any, sdk: {} as any, metrics: { peakDiskBytes: 0, bytesThroughHost: 0 },
})
async function* plan(keys: string[]) {
  for (const k of keys) yield item(k)
}

function recorder(decide: (o: CopyOutcome, attempt: number) => ItemErrorAction = () => 'fail') {
  const log: string[] = []
  const outcomes: (CopyOutcome & { batch?: number })[] = []
  const handlers: ExecuteHandlers & { observers: RunObserver[] } = {
    observers: [{
      batchStarted: async (b, engine) => void log.push(`start ${b} ${engine}`),
      outcome: async (o, batch) => void (outcomes.push({ ...o, ...(batch === undefined ? {} : { batch }) }), log.push(`outcome ${o.item.key} ${o.ok ? 'ok' : 'failed'} ${o.engine}${batch === undefined ? '' : ` b${batch}`}`)),
      batchEnded: async (b) => void log.push(`end ${b}`),
    }],
    onFailure: async (o, attempt) => (log.push(`failure ${o.item.key} ${o.code} attempt ${attempt}`), decide(o, attempt)),
  }
  return { log, outcomes, handlers }
}

/** A run of the plan, read to its end by the recorder's observers. */
const execute = (p: Parameters<typeof executePlan>[0], routes: Routes, c: EngineContext, handlers: ExecuteHandlers & { observers: RunObserver[] }) => readRun(executePlan(p, routes, c, handlers), handlers.observers)

test('items go in batches of batchSize; a batch ends after its last item settles, with its items', async () => {
  const primary = fakeEngine('s5cmd')
  const { log, outcomes, handlers } = recorder()
  // Verification holds copies past their batch's close: the batch must wait for them.
  handlers.verify = async (window) => (await new Promise((r) => setTimeout(r, 5)), window)
  await execute(plan(['a', 'b', 'c', 'd', 'e']), { primary }, ctx(2), handlers)
  assert.deepEqual(outcomes.map((o) => [o.item.key, o.batch]), [['a', 1], ['b', 1], ['c', 2], ['d', 2], ['e', 3]])
  for (const b of [1, 2, 3]) assert.ok(log.indexOf(`end ${b}`) > log.indexOf(`start ${b} s5cmd`))
  assert.ok(log.indexOf('end 1') > log.indexOf('outcome b ok s5cmd b1'), 'batch 1 ends after b')
  assert.equal(log.filter((l) => l.startsWith('end ')).length, 3)
})

test('s5cmd opens a session per batch; the other engines carry every batch in one session, and each batch still ends with its items', async () => {
  const s5cmd = fakeEngine('s5cmd')
  await execute(plan(['a', 'b', 'c', 'd', 'e']), { primary: s5cmd }, ctx(2), recorder().handlers)
  assert.deepEqual(s5cmd.sessions, { opened: 3, closed: 3 })

  const lean = fakeEngine('lean', { c: [{ ok: false, code: 'SlowDown', error: 'slow down' }] })
  const { log, outcomes, handlers } = recorder((o, attempt) => (attempt < 1 ? 'retry' : 'fail'))
  handlers.verify = async (window) => (await new Promise((r) => setTimeout(r, 5)), window)
  await execute(plan(['a', 'b', 'c', 'd', 'e']), { primary: lean, direct: lean }, ctx(2), handlers)
  assert.deepEqual(lean.sessions, { opened: 1, closed: 1 }, 'one session for three batches and the retry, ended once')
  assert.deepEqual(outcomes.map((o) => [o.item.key, o.ok, o.batch]).sort(), [['a', true, 1], ['b', true, 1], ['c', true, 2], ['d', true, 2], ['e', true, 3]])
  for (const b of [1, 2, 3]) assert.ok(log.indexOf(`end ${b}`) > log.indexOf(`start ${b} lean`), `batch ${b} ends after it starts`)
  assert.ok(log.indexOf('end 2') > log.indexOf('outcome c ok lean b2'), 'batch 2 ends only after its retried item settles')
  assert.equal(log.filter((l) => l.startsWith('end ')).length, 3)
})

test('a throttled copy is retried by the direct engine; the plugins are asked once per failure, with the attempt', async () => {
  const primary = fakeEngine('s5cmd', { b: [{ ok: false, code: 'SlowDown', error: 'slow down' }] })
  const direct = fakeEngine('sdk', { b: [{ ok: false, code: 'SlowDown', error: 'slow down' }] })
  const { log, outcomes, handlers } = recorder((o, attempt) => (o.code === 'SlowDown' && attempt < 3 ? 'retry' : 'fail'))
  await execute(plan(['a', 'b']), { primary, direct }, ctx(10), handlers)
  assert.deepEqual(log.filter((l) => l.startsWith('failure')), ['failure b SlowDown attempt 0', 'failure b SlowDown attempt 1'])
  assert.deepEqual(direct.seen, ['b', 'b'])
  const b = outcomes.find((o) => o.item.key === 'b')!
  assert.equal(b.ok, true)
  assert.equal(b.engine, 'sdk')
  assert.equal(b.batch, 1, 'a retried item still settles its batch')
  assert.equal(outcomes.length, 2, 'one final outcome per item')
})

test('a copy that cannot be made server-side is rerouted to the traditional engine, and says so', async () => {
  const primary = fakeEngine('sdk', { x: [{ ok: false, code: 'NotImplemented', status: 501, error: 'no' }] })
  const traditional = fakeEngine('stream')
  const { outcomes, handlers } = recorder((o) => (o.code === 'NotImplemented' ? 'fallback' : 'fail'))
  await execute(plan(['x', 'y']), { primary, direct: primary, traditional }, ctx(10), handlers)
  const x = outcomes.find((o) => o.item.key === 'x')!
  assert.equal(x.engine, 'stream')
  assert.match(x.note ?? '', /server-side copy impossible \(NotImplemented\); copied traditionally/)
  assert.deepEqual(traditional.seen, ['x'])
})

test('items the primary engine cannot carry go to the direct engine, outside batches', async () => {
  const primary = fakeEngine('s5cmd', {}, (i) => !i.key.includes('\n'))
  const direct = fakeEngine('sdk')
  const { outcomes, handlers } = recorder()
  await execute(plan(['a', 'odd\nkey', 'c']), { primary, direct }, ctx(10), handlers)
  assert.deepEqual(direct.seen, ['odd\nkey'])
  assert.deepEqual(outcomes.map((o) => [o.item.key, o.engine, o.batch]).sort(), [['a', 's5cmd', 1], ['c', 's5cmd', 1], ['odd\nkey', 'sdk', undefined]])
})

test('copies are reported only after verification; one that fails its check goes back to the plugins', async () => {
  const primary = fakeEngine('sdk')
  const { log, outcomes, handlers } = recorder((o, attempt) => (o.code === 'SizeMismatch' && attempt === 0 ? 'retry' : 'fail'))
  const windows: string[][] = []
  let checks = 0
  handlers.verify = async (window) => {
    windows.push(window.map((o) => o.item.key))
    // The first check finds "b" short; its copy again passes.
    return window.map((o) => (o.item.key === 'b' && checks++ === 0 ? { ...o, ok: false, code: 'SizeMismatch', error: 'short' } : o))
  }
  await execute(plan(['a', 'b', 'c']), { primary, direct: primary }, ctx(10), handlers)
  assert.deepEqual(windows[0]!.sort(), ['a', 'b', 'c'], 'one tail window for what was copied')
  assert.deepEqual(windows.at(-1), ['b'], 'the retried copy is checked again')
  assert.ok(log.indexOf('failure b SizeMismatch attempt 0') >= 0)
  assert.deepEqual(outcomes.map((o) => [o.item.key, o.ok]).sort(), [['a', true], ['b', true], ['c', true]])
})

test('a window its copies\' answers proved is checked soon after its first copy; one that needs a listing waits to fill', async () => {
  // Three copies, then a plan that is slow to go on (a listing page on its way), then three more.
  async function* slowPlan() {
    for (const k of ['a', 'b', 'c']) yield item(k)
    await new Promise((r) => setTimeout(r, 1000))
    for (const k of ['d', 'e', 'f']) yield item(k)
  }
  const windowsWhen = async (proven: boolean) => {
    const { handlers } = recorder()
    const windows: string[][] = []
    handlers.provenByAnswer = () => proven
    handlers.verify = async (window) => (windows.push(window.map((o) => o.item.key)), window)
    await execute(slowPlan(), { primary: fakeEngine('lean') }, ctx(10), handlers)
    return windows
  }
  assert.deepEqual(await windowsWhen(true), [['a', 'b', 'c'], ['d', 'e', 'f']], 'checked while the plan waits')
  assert.deepEqual(await windowsWhen(false), [['a', 'b', 'c', 'd', 'e', 'f']], 'held for one listing')
})

test('the run is a stream of events in its order; a reader that fails stops it, reads what the stop brings (the open copies, counted) and gets its error at the end', async () => {
  const events: RunEvent[] = []
  for await (const e of executePlan(plan(['a', 'b', 'c']), { primary: fakeEngine('s5cmd') }, ctx(2), recorder().handlers)) events.push(e)
  assert.deepEqual(events.map((e) => e.type === 'outcome' ? `outcome ${e.outcome.item.key} b${e.batch}` : e.type === 'batch-started' || e.type === 'batch-ended' ? `${e.type} ${e.batch}` : e.type),
    ['batch-started 1', 'outcome a b1', 'outcome b b1', 'batch-ended 1', 'batch-started 2', 'outcome c b2', 'batch-ended 2'])

  // An engine that answers "a" only: "b" and "c" stay open when the journal fails at "a".
  const stuck: Engine = { ...fakeEngine('lean'), open: (_c, onOutcome) => ({ submit: async (i) => void (i.key === 'a' && setImmediate(() => onOutcome({ item: i, engine: 'lean', ok: true }))), close: async () => {} }) }
  const seen: string[] = []
  const journal: RunObserver = {
    outcome: (o) => { seen.push(`outcome ${o.item.key}`); throw new Error('journal: disk full') },
    interrupted: (i, answered) => void seen.push(`open ${i.key} ${answered ? 'answered' : 'no answer'}`),
  }
  const stopped = readRun(executePlan(plan(['a', 'b', 'c']), { primary: stuck }, ctx(10), recorder().handlers), [journal])
  await assert.rejects(stopped, /journal: disk full/)
  assert.deepEqual(seen.sort(), ['open b no answer', 'open c no answer', 'outcome a'])
})
