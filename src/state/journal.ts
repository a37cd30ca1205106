import { appendFileSync, createWriteStream, type WriteStream } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import path from 'node:path'
import type { ResolvedJob, Shard } from '../api/config.ts'
import type { LakesyncEvent } from '../api/events.ts'
import { redact } from '../util/redact.ts'
import { makeDir } from '../util/make-dir.ts'

/** Where run journals go: LAKESYNC_STATE_DIR, else $XDG_STATE_HOME/lakesync, else ~/.local/state/lakesync. */
export function stateDir(env = process.env): string {
  return env.LAKESYNC_STATE_DIR || path.join(env.XDG_STATE_HOME || path.join(homedir(), '.local', 'state'), 'lakesync')
}

/** A job as the journal records it: where and how, never credentials. */
function describeJob(job: ResolvedJob) {
  const side = (l: ResolvedJob['source']) => ({ url: `s3://${l.bucket}/${l.prefix}`, connection: l.connectionName, endpoint: l.connection.endpoint, region: l.connection.region, profile: l.connection.profile, anonymous: l.connection.anonymous })
  const { source, destination, keyMap, sourceFilter, ...options } = job
  return { ...options, source: { ...side(source), ...(source.binance ? { binance: source.binance } : {}) }, destination: side(destination), keyMap: Boolean(keyMap) }
}

/**
 * The audit record of a run, appended as JSON lines: a header with the resolved jobs, one line
 * per item copied, failed or deleted (key, action and reason, engine, size, source ETag,
 * checksum, error), each job's summary (which counts the skipped items by reason: a line per
 * skip would make a daily run's journal grow with the archive; `journalSkips` brings them
 * back), and the outcome. A run killed at any point leaves the lines written so far.
 */
export class Journal {
  private closed = false
  private pending: string[] = []

  private constructor(readonly file: string, private readonly out: WriteStream, private readonly skipsOf: ReadonlySet<string>) {
    // A journal that cannot be written (disk full) must not take the run down with it.
    out.on('error', () => (this.closed = true))
  }

  /**
   * Opens a run's journal, or says why not (`unavailable`) when the state dir cannot be
   * written: a run without a journal still copies (and says it cannot be listed by `runs`).
   */
  static async open(command: string, jobs: readonly ResolvedJob[], dir = stateDir()): Promise<Journal | { unavailable: string }> {
    const runs = path.join(dir, 'runs')
    const id = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`
    const file = path.join(runs, `${id}.jsonl`)
    try {
      await makeDir(runs)
      const stream = createWriteStream(file, { flags: 'a' })
      await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject))
      const journal = new Journal(file, stream, new Set(jobs.filter((j) => j.journalSkips).map((j) => j.name)))
      journal.write({ type: 'run', id, startedAt: new Date().toISOString(), command, jobs: jobs.map(describeJob) })
      return journal
    } catch (error) {
      return { unavailable: `${(error as NodeJS.ErrnoException).code ?? 'error'} on ${runs}` }
    }
  }

  record(e: LakesyncEvent) {
    if (e.type === 'item' && e.action === 'skipped' && !this.skipsOf.has(e.job)) return
    if (e.type === 'item' || e.type === 'job-end' || e.type === 'decision' || e.type === 'gaps' || e.type === 'warning') this.write({ ...e, at: new Date().toISOString() })
  }

  async close(exitCode: number) {
    this.write({ type: 'run-end', exitCode, finishedAt: new Date().toISOString() })
    this.flush()
    this.closed = true
    await new Promise((r) => this.out.end(r))
  }

  /** Writes what is pending and the run's end at once, synchronously: for a process about to exit on a second interrupt. */
  closeNow(exitCode: number) {
    if (this.closed) return
    this.pending.push(redact(JSON.stringify({ type: 'run-end', exitCode, finishedAt: new Date().toISOString() })))
    this.closed = true
    appendFileSync(this.file, this.pending.join('\n') + '\n')
    this.pending = []
  }

  /** Late events (copies settling after an interrupt) after close are dropped, not written. */
  private write(record: object) {
    if (this.closed) return
    // Lines of one tick leave in one write (thousands of items a second otherwise mean as many writes).
    if (!this.pending.length) setImmediate(() => this.flush())
    this.pending.push(redact(JSON.stringify(record)))
  }

  private flush() {
    if (this.pending.length) this.out.write(this.pending.join('\n') + '\n')
    this.pending = []
  }
}

export interface RunInfo {
  id: string
  file: string
  startedAt: string
  command: string
  jobs: string[]
  exitCode?: number
  copied: number
  skipped: number
  failed: number
  deleted: number
  /** A sharded run's part (`--shard`), from the journal's header. */
  shard?: Shard
}

/** Past runs, newest first, from their journals; a run without its end line was killed. */
export async function listRuns(dir = stateDir()): Promise<RunInfo[]> {
  const runs = path.join(dir, 'runs')
  const files = (await readdir(runs).catch(() => [])).filter((f) => f.endsWith('.jsonl')).sort().reverse()
  const out: RunInfo[] = []
  for (const f of files) {
    const info: RunInfo = { id: f.replace(/\.jsonl$/, ''), file: path.join(runs, f), startedAt: '', command: '', jobs: [], copied: 0, skipped: 0, failed: 0, deleted: 0 }
    // Not a journal (a folder named *.jsonl, an unreadable file): passed over, not fatal.
    const text = (await stat(info.file).catch(() => undefined))?.isFile() ? await readFile(info.file, 'utf8').catch(() => undefined) : undefined
    if (text === undefined) continue
    for (const line of text.split('\n')) {
      if (!line) continue
      let r: any
      try {
        r = JSON.parse(line)
      } catch {
        continue // a line cut short by a kill
      }
      if (!r || typeof r !== 'object') continue
      if (r.type === 'run') {
        Object.assign(info, { startedAt: String(r.startedAt ?? ''), command: String(r.command ?? ''), jobs: Array.isArray(r.jobs) ? r.jobs.map((j: { name?: unknown }) => String(j?.name)) : [] })
        const shard = Array.isArray(r.jobs) ? r.jobs[0]?.shard : undefined
        if (shard && Number.isInteger(shard.index) && Number.isInteger(shard.count) && typeof shard.runId === 'string') info.shard = { index: shard.index, count: shard.count, runId: shard.runId }
      }
      // Copies, failures and deletions from their lines (a killed run has no summary); skips from the summaries.
      if (r.type === 'item') {
        if (r.action === 'copied') info.copied++
        else if (r.action === 'failed') info.failed++
        else if (r.action === 'deleted') info.deleted++
      }
      if (r.type === 'job-end' && Number.isInteger(r.skipped)) info.skipped += r.skipped
      if (r.type === 'run-end') info.exitCode = r.exitCode
    }
    out.push(info)
  }
  return out
}
