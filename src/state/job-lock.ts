import { randomBytes } from 'node:crypto'
import { renameSync, writeFileSync } from 'node:fs'
import { link, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { ResolvedJob } from '../api/config.ts'
import { ExitCode, LakesyncError } from '../api/errors.ts'
import { makeDir } from '../util/make-dir.ts'
import { jobIdentity } from './etag-memory.ts'
import { stateDir } from './journal.ts'
import { processState, thisProcess, type ProcessIdentity } from './process-identity.ts'

/** What a lock file says: who holds it, for how long it counts without a refresh, or that it was released. */
interface LockRecord extends ProcessIdentity {
  job: string
  startedAt: string
  /** Set by each holder: its refreshes are this process's, not a predecessor's. */
  token: string
  /** The holder refreshes the file well within this; a file older than this is stale unless its process is seen alive. */
  leaseSeconds: number
  released?: true
}

/** Seconds a lock counts without a refresh: LAKESYNC_LOCK_LEASE_SECONDS, default 60. Holders refresh four times a lease. */
export function leaseSeconds(env = process.env): number {
  const n = Number(env.LAKESYNC_LOCK_LEASE_SECONDS)
  return Number.isFinite(n) && n >= 1 ? n : 60
}

/** Another run of the job holds its lock: exit 5, naming it and the lock file. */
export class JobLockedError extends LakesyncError {
  constructor(holder: LockRecord, file: string) {
    super(
      `job "${holder.job}" is already running: ${describe(holder)}`,
      ExitCode.locked,
      `wait for it to finish, or pass --wait-lock SECONDS to wait here; its lock (${file}) expires ${holder.leaseSeconds} s after its holder stops refreshing it`,
    )
  }
}

export interface JobLocks {
  release(): Promise<void>
  /** The same, synchronously: for a process about to exit on a second interrupt. */
  releaseNow(): void
}

/** The state files of one job (one shard of it): its lock's and its upload registry's name. */
export function jobStateName(job: Pick<ResolvedJob, 'name' | 'source' | 'destination' | 'shard'>): string {
  // Shards of one job copy disjoint parts: each has its own lock and registry.
  const part = job.shard ? `.shard-${job.shard.index}-of-${job.shard.count}` : ''
  return `${jobIdentity(job.name, `s3://${job.source.bucket}/${job.source.prefix}`, `s3://${job.destination.bucket}/${job.destination.prefix}`)}${part}`
}

export interface LockOptions {
  /** Seconds to wait for a live holder (default: none, JobLockedError at once). */
  waitSeconds?: number
  warn: (message: string) => void
  /** Another run took a lock this run held (it had stopped refreshing it): the run must stop. */
  onLost?: (message: string) => void
  dir?: string
}

/**
 * One run per job (per shard), also across hosts that share the state dir: a lock is a lease.
 * Its holder refreshes it (four times a lease); a lock counts while it is refreshed, or while
 * its process is seen alive (same host, boot and pid namespace). A dead holder's lock (killed,
 * a zombie, a reused pid) is taken at once, another host's once its lease ran out.
 *
 * A job's lock is a series of generations, `<name>.<n>.lock`, each created exclusively (a hard
 * link to a written draft), so two runs that find the newest one stale both try to create the
 * next and exactly one succeeds. A release leaves the newest as a tombstone (`released`) rather
 * than deleting it, so the series never restarts under a slow taker. A state dir that cannot be
 * written runs without locks, with a warning, as it runs without a journal.
 */
export async function lockJobs(jobs: readonly ResolvedJob[], o: LockOptions): Promise<JobLocks> {
  const folder = path.join(o.dir ?? stateDir(), 'locks')
  const unlocked = (why: string) => o.warn(`no job lock (cannot write ${folder}: ${why}): nothing stops a second run of these jobs meanwhile`)
  if (!(await makeDir(folder).then(() => true, (e) => (unlocked((e as NodeJS.ErrnoException).code ?? String(e)), false)))) return { release: async () => {}, releaseNow: () => {} }
  const held: HeldLock[] = []
  const releaseNow = () => held.splice(0).forEach((l) => l.release())
  // The tombstones are written synchronously, after any refresh in flight (which would write the live record back).
  const release = async () => {
    await Promise.all(held.map((l) => l.quiet()))
    releaseNow()
  }
  try {
    for (const job of jobs) {
      const name = job.shard ? `${job.name} (shard ${job.shard.index}/${job.shard.count})` : job.name
      const lock = await acquire(folder, jobStateName(job), name, o)
      if ('unwritable' in lock) {
        unlocked(lock.unwritable)
        continue
      }
      held.push(lock)
    }
  } catch (error) {
    await release()
    throw error
  }
  return { release, releaseNow }
}

interface Generation {
  n: number
  file: string
}

type Verdict = { held: true; holder: LockRecord; file: string } | { held: false; previous?: { holder: LockRecord; why: string } }

async function acquire(folder: string, name: string, job: string, o: LockOptions): Promise<HeldLock | { unwritable: string }> {
  const me: LockRecord = { ...thisProcess(), job, startedAt: new Date().toISOString(), token: randomBytes(8).toString('hex'), leaseSeconds: leaseSeconds() }
  const deadline = Date.now() + (o.waitSeconds ?? 0) * 1000
  let said = false
  for (;;) {
    const top = (await generations(folder, name))[0]
    const verdict = top ? await judge(top.file) : { held: false as const }
    if (verdict.held) {
      if (Date.now() >= deadline) throw new JobLockedError(verdict.holder, verdict.file)
      if (!said) o.warn(`waiting for job "${job}": ${describe(verdict.holder)} holds its lock (${verdict.file})`)
      said = true
      await sleep(Math.min(1000, Math.max(10, deadline - Date.now())))
      continue
    }
    const next = (top?.n ?? 0) + 1
    const mine: Generation = { n: next, file: path.join(folder, `${name}.${next}.lock`) }
    const created = await createExclusive(mine.file, JSON.stringify(me)).catch((e: NodeJS.ErrnoException) => {
      if (UNWRITABLE.has(e.code ?? '')) return { unwritable: e.code! }
      throw e
    })
    if (typeof created === 'object') return created
    if (!created) continue // another taker created this generation first
    // A slow taker can create a generation that a later winner had already cleared away: a higher one wins.
    const now = await generations(folder, name)
    if (now[0]!.n > mine.n) {
      await unlink(mine.file).catch(() => {})
      continue
    }
    if (verdict.previous) o.warn(`took over the lock of job "${job}" from ${describe(verdict.previous.holder)}: ${verdict.previous.why}`)
    for (const older of now) if (older.n < mine.n) await unlink(older.file).catch(() => {})
    return new HeldLock(folder, name, mine, me, o)
  }
}

/** Whether a lock generation still holds: released, unreadable for a while, dead or expired means free. */
async function judge(file: string): Promise<Verdict> {
  const [text, info] = await Promise.all([readFile(file, 'utf8').catch(() => undefined), stat(file).catch(() => undefined)])
  if (!info) return { held: false } // gone this instant: try the next generation
  const holder = parse(text)
  const age = (Date.now() - info.mtimeMs) / 1000
  if (!holder) {
    // Generations are written before they are linked in: an unreadable one was damaged (a full disk, a hand edit).
    return age > 10 ? { held: false } : { held: true, holder: { pid: 0, host: '?', job: '?', startedAt: '?', token: '', leaseSeconds: 10 }, file }
  }
  if (holder.released) return { held: false }
  const state = processState(holder)
  if (state === 'dead') return { held: false, previous: { holder, why: 'it is no longer running' } }
  if (state === 'unknown' && age > holder.leaseSeconds) return { held: false, previous: { holder, why: `its lease ran out (not refreshed for ${Math.round(age)} s, lease ${holder.leaseSeconds} s)` } }
  return { held: true, holder, file }
}

/** A lock this run holds: refreshed until released. */
class HeldLock {
  private readonly timer: ReturnType<typeof setInterval>
  private lost = false
  private refreshing: Promise<unknown> = Promise.resolve()

  constructor(private readonly folder: string, private readonly name: string, private readonly mine: Generation, private readonly me: LockRecord, o: LockOptions) {
    let failing = false
    this.timer = setInterval(() => void (this.refreshing = this.refresh()).then((taker) => {
      failing = false
      if (!taker || this.lost) return
      this.lost = true
      o.onLost?.(`the lock of job "${me.job}" was taken over by ${taker}, as this run had not refreshed it within its lease: this run stops`)
    }, (error) => {
      if (!failing) o.warn(`could not refresh the lock of job "${me.job}" (${(error as Error).message}): another run may take the job over once its lease of ${me.leaseSeconds} s runs out`)
      failing = true
    }), (me.leaseSeconds * 1000) / 4)
    this.timer.unref()
  }

  /** Rewrites the lock (a new mtime); says who holds a newer generation, if one exists. */
  private async refresh(): Promise<string | undefined> {
    const draft = `${this.mine.file}.${this.me.token}.refresh.draft`
    await writeFile(draft, JSON.stringify(this.me))
    await rename(draft, this.mine.file)
    const top = (await generations(this.folder, this.name))[0]
    if (!top || top.n <= this.mine.n) return undefined
    const holder = parse(await readFile(top.file, 'utf8').catch(() => undefined))
    return holder ? describe(holder) : top.file
  }

  /** No more refreshes, and the one in flight (if any) done. */
  async quiet() {
    clearInterval(this.timer)
    await this.refreshing.catch(() => {})
  }

  /** Leaves a tombstone (`released`) in place of the lock, synchronously. */
  release() {
    clearInterval(this.timer)
    if (this.lost) return
    const draft = `${this.mine.file}.${this.me.token}.draft`
    try {
      writeFileSync(draft, JSON.stringify({ ...this.me, released: true }))
      renameSync(draft, this.mine.file)
    } catch {
      // the lease runs out instead
    }
  }
}

/** A job's lock generations, newest first; `<name>.lock` (before generations) counts as 0. */
async function generations(folder: string, name: string): Promise<Generation[]> {
  const found: Generation[] = []
  for (const f of await readdir(folder).catch(() => [] as string[])) {
    if (!f.startsWith(name + '.') || !f.endsWith('.lock')) continue
    const middle = f.slice(name.length + 1, -'.lock'.length)
    if (f === `${name}.lock`) found.push({ n: 0, file: path.join(folder, f) })
    else if (/^[1-9]\d{0,15}$/.test(middle)) found.push({ n: Number(middle), file: path.join(folder, f) })
  }
  return found.sort((a, b) => b.n - a.n)
}

/**
 * Creates `file` with `content` unless it exists. The content is written to a draft first and
 * the lock made by a hard link to it, so no reader (and no run killed mid-write) ever sees a
 * lock without its holder. A file system without hard links gets an exclusive create and write.
 */
async function createExclusive(file: string, content: string): Promise<boolean> {
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.draft`
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
const UNWRITABLE = new Set(['EROFS', 'EACCES', 'EPERM'])

function parse(text: string | undefined): LockRecord | undefined {
  try {
    const r = JSON.parse(text ?? '')
    if (typeof r?.pid !== 'number' || typeof r.host !== 'string') return undefined
    // A lock from before leases: the default lease, counted from its file's time.
    return { job: '?', startedAt: '?', token: '', ...r, leaseSeconds: typeof r.leaseSeconds === 'number' && r.leaseSeconds >= 1 ? r.leaseSeconds : leaseSeconds() }
  } catch {
    return undefined
  }
}

const describe = (h: LockRecord) => `pid ${h.pid} on ${h.host}, started ${h.startedAt}`

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
