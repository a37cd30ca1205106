// One run per job: a second sync of a running job exits 5 naming the holder; a lock left by a
// killed run is taken over; --wait-lock waits for the holder instead.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { runCli } from '../helpers/cli.ts'
import { klinesBed } from '../helpers/klines-bed.ts'
import { CLI } from '../helpers/paths.ts'

describe('one run per job', () => {
  const bed = klinesBed('lock', 60)
  const { env } = bed
  // Slow on purpose (240 copies at 40 requests a second), so the first run holds the lock for seconds.
  const args = (to: string) => ['sync', '--from', 's3://src-bucket/', '--to', `s3://dst-bucket/${to}/`, '--endpoint', bed.server.endpoint, '--engine', 'sdk', '--max-rps', '40']
  const locks = async () => (await readdir(path.join(bed.state, 'locks')).catch(() => [] as string[])).filter((f) => f.endsWith('.lock'))
  const holdLock = async (to: string) => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, ...args(to)], { env: { ...process.env, ...env() }, stdio: 'ignore' })
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
})
