import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { JobLockedError, jobStateName, lockJobs } from '../../src/state/job-lock.ts'
import { processState, thisProcess } from '../../src/state/process-identity.ts'
import type { ResolvedJob } from '../../src/api/config.ts'
import { inTempDir as inTemp } from '../helpers/temp-dir.ts'

const job = { name: 'daily', source: { bucket: 'src', prefix: 'data/' }, destination: { bucket: 'lake', prefix: 'mirror/' } } as unknown as ResolvedJob
const lockFile = (dir: string, n: number) => path.join(dir, 'locks', `${jobStateName(job)}.${n}.lock`)

const inTempDir = (fn: (dir: string) => Promise<void>) => inTemp('lakesync-lock-', fn)

/** A lock as another run would have left it: `holder` over this process's identity, aged `ageSeconds`. */
async function plant(dir: string, n: number, holder: Record<string, unknown>, ageSeconds = 0) {
  await mkdir(path.join(dir, 'locks'), { recursive: true })
  const file = lockFile(dir, n)
  await writeFile(file, JSON.stringify({ ...thisProcess(), job: 'daily', startedAt: '2026-12-01T00:00:00.000Z', token: 'planted', leaseSeconds: 60, ...holder }))
  const at = new Date(Date.now() - ageSeconds * 1000)
  await utimes(file, at, at)
}

test('a lock appears whole, a second run is refused naming the lock file, and a release leaves a tombstone the next run passes', () => inTempDir(async (dir) => {
  const warnings: string[] = []
  const locks = await lockJobs([job], { dir, warn: (m) => warnings.push(m) })
  assert.deepEqual(await readdir(path.join(dir, 'locks')), [path.basename(lockFile(dir, 1))], 'only the lock, no draft')
  const holder = JSON.parse(await readFile(lockFile(dir, 1), 'utf8'))
  assert.equal(holder.pid, process.pid)
  assert.equal(holder.leaseSeconds, 60)
  const refused = await lockJobs([job], { dir, warn: (m) => warnings.push(m) }).catch((e) => e)
  assert.ok(refused instanceof JobLockedError)
  assert.match(refused.hint ?? '', new RegExp(`its lock \\(${lockFile(dir, 1).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\) expires 60 s after its holder stops refreshing it`))
  await locks.release()
  assert.equal(JSON.parse(await readFile(lockFile(dir, 1), 'utf8')).released, true, 'released: a tombstone')
  const next = await lockJobs([job], { dir, warn: (m) => warnings.push(m) })
  assert.deepEqual(await readdir(path.join(dir, 'locks')), [path.basename(lockFile(dir, 2))], 'the next generation, the tombstone cleared')
  await next.release()
  assert.deepEqual(warnings, [])
}))

test('a dead holder of this host is taken at once (gone, a reused pid); another host\'s only once its lease ran out', () => inTempDir(async (dir) => {
  const warnings: string[] = []
  const take = () => lockJobs([job], { dir, warn: (m) => warnings.push(m) })
  await plant(dir, 1, { pid: 2 ** 22 + 7 }) // above pid_max: no such process
  await (await take()).release()
  assert.match(warnings.pop()!, /took over the lock of job "daily" from pid 4194311 on .*: it is no longer running/)
  await plant(dir, 3, { startTicks: '1' }) // this very pid, but a process started earlier: a reused pid
  await (await take()).release()
  assert.match(warnings.pop()!, new RegExp(`from pid ${process.pid} .*: it is no longer running`))
  await plant(dir, 5, { host: 'lakesync-daily-28911-2-abcde', pid: 1 }, 30)
  await assert.rejects(take(), /already running: pid 1 on lakesync-daily-28911-2-abcde/, 'another host within its lease: held')
  await plant(dir, 5, { host: 'lakesync-daily-28911-2-abcde', pid: 1 }, 61)
  await (await take()).release()
  assert.match(warnings.pop()!, /from pid 1 on lakesync-daily-28911-2-abcde, .*: its lease ran out \(not refreshed for 61 s, lease 60 s\)/)
  await plant(dir, 7, { pidNs: 'pid:[1]', pid: 1 }, 61) // this host, another container
  await (await take()).release()
  assert.match(warnings.pop()!, /its lease ran out/)
}))

test('a holder refreshes its lock within the lease, and one whose lock was taken over is told to stop', () => inTempDir(async (dir) => {
  process.env.LAKESYNC_LOCK_LEASE_SECONDS = '1'
  try {
    const lost: string[] = []
    const locks = await lockJobs([job], { dir, warn: () => {}, onLost: (m) => lost.push(m) })
    const before = (await import('node:fs/promises')).stat(lockFile(dir, 1))
    await new Promise((r) => setTimeout(r, 600))
    assert.ok((await (await import('node:fs/promises')).stat(lockFile(dir, 1))).mtimeMs > (await before).mtimeMs, 'refreshed (every quarter lease)')
    await plant(dir, 2, { host: 'elsewhere', pid: 9 })
    await new Promise((r) => setTimeout(r, 600))
    assert.match(lost[0] ?? '', /the lock of job "daily" was taken over by pid 9 on elsewhere/)
    await locks.release()
  } finally {
    delete process.env.LAKESYNC_LOCK_LEASE_SECONDS
  }
}))

test('a zombie (killed, never reaped) is dead; a live process is alive; a record from another pid namespace is unknown', async () => {
  // sh starts a child that exits soon, then becomes sleep, which never reaps it. The child outlives
  // the exec: one that exited while sh was still sh could be reaped by sh, and its pid gone.
  const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] })
  const pid = Number(await new Promise<string>((r) => parent.stdout.once('data', (d) => r(String(d)))))
  try {
    for (let i = 0; i < 300 && !/\) Z /.test(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')); i++) await new Promise((r) => setTimeout(r, 10))
    const me = thisProcess()
    const zombie = { ...me, pid, startTicks: (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')[19] }
    assert.equal(processState(zombie), 'dead')
    assert.equal(processState({ ...me, pid: parent.pid!, startTicks: (await readFile(`/proc/${parent.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')[19] }), 'alive')
    assert.equal(processState({ ...me, pidNs: 'pid:[1]' }), 'unknown')
    assert.equal(processState({ ...me, host: 'elsewhere' }), 'unknown')
  } finally {
    parent.kill()
  }
})

test('a locks folder on a read-only mount: the run goes on without a lock and says where and why', () => inTempDir(async (dir) => {
  const locks = path.join(dir, 'locks')
  await mkdir(locks)
  // A mount namespace of its own, where the folder is bound read-only (root, as the suite runs).
  const script = `
    const { lockJobs } = await import(${JSON.stringify(path.resolve('src/state/job-lock.ts'))})
    const held = await lockJobs([{ name: 'daily', source: { bucket: 'src', prefix: '' }, destination: { bucket: 'lake', prefix: '' } }], { dir: ${JSON.stringify(dir)}, warn: (m) => console.log(m) })
    await held.release()
    console.log('ran')`
  const r = spawn('unshare', ['-m', 'sh', '-c', 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"', 'sh', locks, process.execPath, '--import', import.meta.resolve('tsx'), '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  r.stdout.on('data', (d) => (output += d))
  r.stderr.on('data', (d) => (output += d))
  assert.equal(await new Promise((res) => r.on('close', res)), 0, output)
  assert.match(output, new RegExp(`no job lock \\(cannot write ${locks.replace(/[/.]/g, '\\$&')}: EROFS\\): nothing stops a second run of these jobs meanwhile`))
  assert.match(output, /ran/)
  assert.deepEqual(await readdir(locks), [], 'nothing written')
}))

test('200 trials of two processes taking one dead lock at once: exactly one wins each time', { timeout: 300_000 }, () => inTempDir(async (root) => {
  const trials = 200
  for (let t = 0; t < trials; t++) await plant(path.join(root, String(t)), 1, { pid: 2 ** 22 + 7 })
  const contender = () => spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.resolve('test/helpers/lock-contender.ts'), root, String(trials)], { stdio: 'inherit' })
  const racers = [contender(), contender()]
  const ended = racers.map((p) => new Promise((r) => p.on('close', r)))
  try {
    for (let t = 0; t < trials; t++) {
      const dir = path.join(root, String(t))
      await writeFile(path.join(dir, 'go'), '')
      let said: string[] = []
      while ((said = (await readdir(dir)).filter((f) => /^(won|lost)\./.test(f))).length < 2) await new Promise((r) => setTimeout(r, 2))
      assert.equal(said.filter((f) => f.startsWith('won.')).length, 1, `trial ${t}: ${said}`)
      await writeFile(path.join(dir, 'done'), '')
    }
    assert.deepEqual(await Promise.all(ended), [0, 0])
  } finally {
    racers.forEach((p) => p.kill())
  }
}))
