import { hostname } from 'node:os'
import { link, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { ResolvedJob } from '../api/config.ts'
import { ExitCode, LakesyncError } from '../api/errors.ts'
import { makeDir } from '../util/make-dir.ts'
import { jobIdentity } from './etag-memory.ts'
import { stateDir } from './journal.ts'
import { processAlive } from './process-alive.ts'

/** Who holds a job's lock. */
interface Holder {
  pid: number
  host: string
  startedAt: string
  job: string
}

/** Another run of the job holds its lock: exit 5, naming it. */
export class JobLockedError extends LakesyncError {
  constructor(holder: Holder) {
    super(
      `job "${holder.job}" is already running: pid ${holder.pid} on ${holder.host}, started ${holder.startedAt}`,
      ExitCode.locked,
      'wait for it to finish, or pass --wait-lock SECONDS to wait here',
    )
  }
}

export interface JobLocks {
  release(): Promise<void>
}

/**
 * One run per job: a lock file per job in the state dir, created exclusively. A lock whose
 * holder died (same host, no such process) is taken over with a warning; one held by a live run
 * makes this run wait up to `waitSeconds`, then fail with JobLockedError. A state dir that
 * cannot be written runs without locks (with a warning), as it runs without a journal.
 */
export async function lockJobs(jobs: readonly ResolvedJob[], o: { waitSeconds?: number; warn: (message: string) => void; dir?: string }): Promise<JobLocks> {
  const folder = path.join(o.dir ?? stateDir(), 'locks')
  if (!(await makeDir(folder).then(() => true, () => false))) {
    o.warn(`no job lock (cannot write ${folder}): nothing stops a second run of these jobs meanwhile`)
    return { release: async () => {} }
  }
  const held: string[] = []
  const release = async () => {
    for (const file of held.splice(0)) if ((await readHolder(file))?.pid === process.pid) await unlink(file).catch(() => {})
  }
  try {
    for (const job of jobs) {
      // Shards of one job copy disjoint parts: each takes its own lock.
      const part = job.shard ? `.shard-${job.shard.index}-of-${job.shard.count}` : ''
      const file = path.join(folder, `${jobIdentity(job.name, `s3://${job.source.bucket}/${job.source.prefix}`, `s3://${job.destination.bucket}/${job.destination.prefix}`)}${part}.lock`)
      await acquire(file, job.shard ? `${job.name} (shard ${job.shard.index}/${job.shard.count})` : job.name, o)
      held.push(file)
    }
  } catch (error) {
    await release()
    throw error
  }
  return { release }
}

async function acquire(file: string, job: string, o: { waitSeconds?: number; warn: (message: string) => void }) {
  const me: Holder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), job }
  const deadline = Date.now() + (o.waitSeconds ?? 0) * 1000
  let said = false
  for (;;) {
    if (await createLock(file, JSON.stringify(me))) return
    const holder = await readHolder(file)
    // A lock that says nothing (cut short by a full disk, say) and is not being written now is stale too.
    if (holder ? !isAlive(holder) : await olderThan(file, 10_000)) {
      // Renaming the dead run's lock away succeeds for one taker only.
      if (await rename(file, `${file}.${process.pid}.stale`).then(() => true, () => false)) {
        await unlink(`${file}.${process.pid}.stale`).catch(() => {})
        o.warn(holder
          ? `took over the lock of job "${job}" from pid ${holder.pid} on ${holder.host} (started ${holder.startedAt}), which is no longer running`
          : `took over the lock of job "${job}": its lock file was unreadable`)
      }
      continue
    }
    if (!holder) {
      await sleep(50) // being written this instant
      continue
    }
    if (Date.now() >= deadline) throw new JobLockedError(holder)
    if (!said) o.warn(`waiting for job "${job}": pid ${holder.pid} on ${holder.host} holds its lock (started ${holder.startedAt})`)
    said = true
    await sleep(Math.min(1000, Math.max(10, deadline - Date.now())))
  }
}

/**
 * Creates `file` with `content` unless it exists. The content is written to a draft first and
 * the lock made by a hard link to it, so no reader (and no run killed mid-write) ever sees a
 * lock without its holder. A file system without hard links gets an exclusive create and write.
 */
async function createLock(file: string, content: string): Promise<boolean> {
  const draft = `${file}.${process.pid}.draft`
  const taken = (error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
  await writeFile(draft, content)
  try {
    return await link(draft, file).then(() => true, (error) => {
      if (!NO_HARD_LINKS.has((error as NodeJS.ErrnoException).code ?? '')) return taken(error)
      return writeFile(file, content, { flag: 'wx' }).then(() => true, taken)
    })
  } finally {
    await unlink(draft).catch(() => {})
  }
}

const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV'])

async function readHolder(file: string): Promise<Holder | undefined> {
  try {
    const h = JSON.parse(await readFile(file, 'utf8'))
    return typeof h?.pid === 'number' && typeof h.host === 'string' ? h : undefined
  } catch {
    return undefined
  }
}

/** A holder on another host cannot be checked: it counts as alive. */
const isAlive = (h: Holder) => h.host !== hostname() || processAlive(h.pid)

const olderThan = async (file: string, ms: number) => {
  const s = await stat(file).catch(() => undefined)
  return s !== undefined && Date.now() - s.mtimeMs > ms
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
