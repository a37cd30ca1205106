// One run per job: a second sync of a running job exits 5 naming the holder; a lock left by a
// killed run is taken over; --wait-lock waits for the holder instead.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { runCli } from '../helpers/cli.ts'
import { klinesBed } from '../helpers/klines-bed.ts'
import { CLI } from '../helpers/paths.ts'
import { heldLocks } from '../helpers/locks.ts'

describe('one run per job', () => {
  const bed = klinesBed('lock', 60)
  const { env } = bed
  // Slow on purpose (240 copies at 40 requests a second), so the first run holds the lock for seconds.
  const args = (to: string, rps = 40) => ['sync', '--from', 's3://src-bucket/', '--to', `s3://dst-bucket/${to}/`, '--endpoint', bed.server.endpoint, '--engine', 'sdk', '--max-rps', String(rps)]
  const locks = () => heldLocks(bed.state)
  const node = [process.execPath, '--import', import.meta.resolve('tsx'), CLI]
  /** The first run, as `wrap` starts it (in its own UTS or pid namespace, under a parent that never reaps), with `extraEnv`. */
  const holdLock = async (to: string, o: { wrap?: string[]; env?: Record<string, string>; rps?: number } = {}) => {
    const [command, ...rest] = [...(o.wrap ?? []), ...node, ...args(to, o.rps)]
    const child = spawn(command!, rest, { env: { ...process.env, ...env(), ...o.env }, stdio: ['ignore', 'pipe', 'ignore'] })
    const closed = new Promise<number | null>((r) => child.once('close', r))
    for (let i = 0; i < 400 && !(await locks()).length; i++) await new Promise((r) => setTimeout(r, 25))
    assert.equal((await locks()).length, 1, 'the first run holds a lock')
    return { child, closed }
  }

  test('a second run of a running job exits 5 at once, naming the running pid; --wait-lock waits and then runs', async () => {
    const first = await holdLock('twice')
    const [second, waiting] = await Promise.all([runCli(args('twice'), { env: env() }), runCli([...args('twice'), '--wait-lock', '120'], { env: env() })])
    assert.equal(second.code, 5, second.stdout + second.stderr)
    assert.match(second.stderr, new RegExp(`job "adhoc" is already running: pid ${first.child.pid} on \\S+, started \\d{4}-`))
    assert.equal(await first.closed, 0)
    assert.equal(waiting.code, 0, waiting.stderr)
    assert.match(waiting.stderr, /waiting for job "adhoc": pid \d+/)
    assert.match(waiting.stdout, /copied 0 /, 'it ran after the first had copied everything')
    assert.deepEqual(await locks(), [], 'both released their lock')
  })

  test('a lock left by a killed run is taken over with a warning', async () => {
    const killed = await holdLock('killed')
    killed.child.kill('SIGKILL')
    await killed.closed
    assert.equal((await locks()).length, 1, 'kill -9 leaves the lock behind')
    const r = await runCli(args('killed'), { env: env() })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, new RegExp(`took over the lock of job "adhoc" from pid ${killed.child.pid} .*no longer running`))
    assert.deepEqual(await locks(), [])
  })

  // A container of its own: the host name a Kubernetes pod gets. The lease is short so the test is.
  const otherHost = ['unshare', '--uts', 'sh', '-c', 'hostname lakesync-daily-28911-2-abcde && exec "$@"', 'sh']
  const lease = { LAKESYNC_LOCK_LEASE_SECONDS: '2' }

  test('a lock held by a run killed on another host is taken once its lease runs out (refused until then), saying whose it was', async () => {
    const killed = await holdLock('other-host', { wrap: otherHost, env: lease })
    killed.child.kill('SIGKILL')
    await killed.closed
    const refused = await runCli(args('other-host'), { env: env() })
    assert.equal(refused.code, 5, 'within its lease another host\'s lock holds')
    assert.match(refused.stderr, /already running: pid \d+ on lakesync-daily-28911-2-abcde/)
    assert.match(refused.stderr, /its lock \(.*\.lock\) expires 2 s after its holder stops refreshing it/)
    const r = await runCli([...args('other-host'), '--wait-lock', '30'], { env: env() })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /took over the lock of job "adhoc" from pid \d+ on lakesync-daily-28911-2-abcde, started .*: its lease ran out/)
    assert.deepEqual(await locks(), [])
  })

  test('a lock held by a killed pid 1 (a container\'s first process) is taken once its lease runs out, never mistaken for this run', async () => {
    const killed = await holdLock('pid-one', { wrap: ['unshare', '--pid', '--fork', '--kill-child', '--mount-proc'], env: lease })
    killed.child.kill('SIGKILL') // --kill-child: pid 1 of the namespace dies with it
    await killed.closed
    const r = await runCli([...args('pid-one'), '--wait-lock', '30'], { env: env() })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /took over the lock of job "adhoc" from pid 1 on .*: its lease ran out/)
  })

  test('a lock held by a zombie (killed, its parent never reaping) is taken at once', async () => {
    // sh starts the run and becomes sleep, which never reaps it: a killed run stays a zombie.
    const parent = await holdLock('zombie', { wrap: ['sh', '-c', '"$@" & echo $! && exec sleep 120', 'sh'] })
    const pid = Number(await new Promise<string>((r) => parent.child.stdout!.once('data', (d) => r(String(d)))))
    try {
      process.kill(pid, 'SIGKILL')
      for (let i = 0; i < 200 && !/\) Z /.test(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')); i++) await new Promise((r) => setTimeout(r, 10))
      assert.match(await readFile(`/proc/${pid}/stat`, 'utf8'), /\) Z /, 'a zombie')
      const r = await runCli(args('zombie'), { env: env() })
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stderr, new RegExp(`took over the lock of job "adhoc" from pid ${pid} .*: it is no longer running`))
    } finally {
      parent.child.kill()
    }
  })

  test('a live holder on another host is never taken while it refreshes its lease', async () => {
    const live = await holdLock('live', { wrap: otherHost, env: lease, rps: 20 })
    // Three leases of waiting while the holder copies for 12 s: it refreshes all along, so the waiter gives up.
    const r = await runCli([...args('live'), '--wait-lock', '6'], { env: env() })
    assert.equal(r.code, 5, r.stdout + r.stderr)
    assert.match(r.stderr, /waiting for job "adhoc": pid \d+ on lakesync-daily-28911-2-abcde/)
    assert.doesNotMatch(r.stderr, /took over/)
    assert.equal(await live.closed, 0, 'the holder ran to its end')
  })
})
