import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { JobLockedError, lockJobs } from '../../src/state/job-lock.ts'
import type { ResolvedJob } from '../../src/api/config.ts'

const job = { name: 'daily', source: { bucket: 'src', prefix: 'data/' }, destination: { bucket: 'lake', prefix: 'mirror/' } } as unknown as ResolvedJob

test('a lock appears whole (its holder written before it exists), nothing else is left in the folder, and a second run is refused', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lakesync-lock-'))
  try {
    const warnings: string[] = []
    const locks = await lockJobs([job], { dir, warn: (m) => warnings.push(m) })
    const files = await readdir(path.join(dir, 'locks'))
    assert.equal(files.length, 1, `only the lock: ${files}`)
    assert.match(files[0]!, /\.lock$/)
    const holder = JSON.parse(await readFile(path.join(dir, 'locks', files[0]!), 'utf8'))
    assert.equal(holder.pid, process.pid)
    await assert.rejects(lockJobs([job], { dir, warn: (m) => warnings.push(m) }), JobLockedError)
    assert.deepEqual(await readdir(path.join(dir, 'locks')), files, 'the refused run left no draft behind')
    await locks.release()
    assert.deepEqual(await readdir(path.join(dir, 'locks')), [])
    assert.deepEqual(warnings, [])
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
