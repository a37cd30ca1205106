// Every failure after a job starts ends with the job's summary (what was copied, what was not,
// why), the journal's run-end, the lock released and a documented non-zero exit code: a listing
// that fails mid-run, a temp dir that cannot be made, credentials refused mid-run, a descriptor
// limit below the concurrency asked, and a config whose promise never settles.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { s3Error, startFaultProxy, type ProxiedRequest } from '../helpers/fault-proxy.ts'
import { runCli, suiteStateDir } from '../helpers/cli.ts'
import { heldLocks } from '../helpers/locks.ts'
import { readJournal } from '../helpers/journal.ts'
import { klinesBed } from '../helpers/klines-bed.ts'

describe('failures after the start end with a summary', { concurrency: false }, () => {
  // 1,200 keys: two listing pages.
  const bed = klinesBed('stops', 300)

  /** A run of `args` with a state dir of its own: its result, its journal's run-end code, and its locks still held. */
  const run = async (name: string, args: string[], o: { endpoint?: string; env?: Record<string, string>; wrap?: string[] } = {}) => {
    const state = await suiteStateDir(`stops-${name}`)
    const r = await runCli(['sync', '--from', 's3://src-bucket/', '--to', `s3://dst-bucket/${name}/`, '--endpoint', o.endpoint ?? bed.server.endpoint, ...args], { env: { ...bed.server.env, LAKESYNC_STATE_DIR: state, ...o.env }, wrap: o.wrap })
    const end = (await readJournal(state)).find((l) => l.type === 'run-end')
    return { ...r, runEnd: end?.exitCode as number | undefined, held: await heldLocks(state) }
  }

  test('a listing that fails mid-run: the summary says what was copied, then the error; exit 1', async () => {
    // The first page of the source answers; every page after it (by token or start key) is refused.
    const later = (r: ProxiedRequest) => r.list && r.path.startsWith('/src-bucket') && (r.query.has('continuation-token') || r.query.has('start-after'))
    const proxy = await startFaultProxy(bed.server.port, { answer: (r) => (later(r) ? { status: 403, body: s3Error('AccessDenied', 'Access Denied') } : undefined) })
    try {
      const r = await run('listing', ['--concurrency', '16'], { endpoint: proxy.endpoint })
      assert.equal(r.code, 1, r.stdout + r.stderr)
      assert.match(r.stdout, /adhoc: STOPPED: copied \d+ .*\n {2}stopped by: Access Denied \(AccessDenied, HTTP 403\)/)
      assert.ok(Number(/STOPPED: copied (\d+)/.exec(r.stdout)![1]) > 0, 'the first page was copied before the listing failed')
      assert.match(r.stderr, /lakesync: .*AccessDenied/)
      assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /, 'no stack')
      assert.equal(r.runEnd, 1)
      assert.deepEqual(r.held, [])
    } finally {
      await proxy.close()
    }
  })

  test('a temp dir that cannot be made (LAKESYNC_TMPDIR missing): one reason, the summary, exit 1', async () => {
    const r = await run('tmpdir', ['--mode', 'traditional', '--traditional', 'staged'], { env: { LAKESYNC_TMPDIR: '/nonexistent/lakesync-tmp' } })
    assert.equal(r.code, 1, r.stdout + r.stderr)
    assert.match(r.stdout, /STOPPED: copied 0 .*\n {2}stopped by: no temp dir for staged copies in \/nonexistent\/lakesync-tmp \(ENOENT\): create it, or point LAKESYNC_TMPDIR at a writable folder/)
    assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at |Node\.js v/, 'no stack')
    assert.equal(r.runEnd, 1)
    assert.deepEqual(r.held, [])
  })

  test('credentials refused mid-run (ExpiredToken): the job stops at the first refusal, not after every item', async () => {
    let copies = 0
    const proxy = await startFaultProxy(bed.server.port, { answer: (r) => (r.copy && ++copies > 50 ? { status: 400, body: s3Error('ExpiredToken', 'The provided token has expired.') } : undefined) })
    try {
      const r = await run('expired', ['--concurrency', '8'], { endpoint: proxy.endpoint })
      assert.equal(r.code, 1, r.stdout + r.stderr)
      assert.match(r.stdout, /STOPPED: copied \d+.*\n {2}stopped by: the server refused the job's credentials \(ExpiredToken/)
      assert.match(r.stderr, /hint: renew the credentials/)
      assert.ok(copies < 50 + 3 * 8, `${copies} copies asked: the job stopped within the copies in flight`)
      assert.equal(r.runEnd, 1)
      assert.deepEqual(r.held, [])
    } finally {
      await proxy.close()
    }
  })

  test('copies accepted and never answered: the stall guard says what it waits for, then fails them at twice the limit, exit 1', { timeout: 120_000 }, async () => {
    // Every copy is held at the proxy; the socket timeout is far off, so only the guard can end the wait.
    const proxy = await startFaultProxy(bed.server.port, { delayMs: (r) => (r.copy ? 600_000 : 0) })
    try {
      const started = performance.now()
      const r = await run('stalled', ['--concurrency', '4'], { endpoint: proxy.endpoint, env: { LAKESYNC_STALL_SECONDS: '2', LAKESYNC_SOCKET_TIMEOUT_SECONDS: '300' } })
      const took = (performance.now() - started) / 1000
      assert.equal(r.code, 1, r.stdout + r.stderr)
      assert.match(r.stdout, /no progress for 2 s: \d+ item\(s\) waiting \(engine lean\), the oldest "data\/[^"]+" for \d+ s; giving them up at 4 s \(LAKESYNC_STALL_SECONDS\)/)
      assert.match(r.stdout, /stalled: no progress for 4 s; gave up \d+ item\(s\) waiting/)
      assert.match(r.stdout, /FAILED "data\/[^"]+": stalled: no progress for 4 s \(LAKESYNC_STALL_SECONDS=2\)/)
      assert.match(r.stdout, /copied 0 \(0 B\), skipped 0, failed [1-9]/)
      assert.ok(took < 30, `ended in ${took.toFixed(1)} s, near twice the limit, not at the socket timeout`)
      assert.equal(r.runEnd, 1)
      assert.deepEqual(r.held, [])
    } finally {
      await proxy.close()
    }
  })

  test('an open-file limit below what --concurrency needs: the concurrency is lowered and said, and the run completes', async () => {
    const r = await run('emfile', ['--concurrency', '1024'], { wrap: ['sh', '-c', 'ulimit -n 256 && exec "$@"', 'sh'] })
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /--concurrency 1024 needs about \d+ open files, and this process may open 256: running at concurrency \d+/)
    assert.match(r.stdout, /copied 1,200 /)
  })

  test('a config whose promise never settles: exit 2 naming it, never a silent success', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lakesync-never-'))
    await writeFile(path.join(dir, 'lakesync.config.mjs'), `export default async () => new Promise(() => {})\n`)
    const r = await runCli(['sync'], { cwd: dir, env: bed.server.env })
    assert.equal(r.code, 2, r.stdout + r.stderr)
    assert.match(r.stderr, /lakesync\.config\.mjs: the exported config function's promise never settles/)
    await writeFile(path.join(dir, 'lakesync.config.mjs'), `export default new Promise(() => {})\n`)
    const tla = await runCli(['sync'], { cwd: dir, env: bed.server.env })
    assert.equal(tla.code, 2, tla.stdout + tla.stderr)
    assert.match(tla.stderr, /the config in .*: loading it never finishes \(a top-level await or exported promise that never settles\)/)
  })
})
