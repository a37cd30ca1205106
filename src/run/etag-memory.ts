import { createHash } from 'node:crypto'
import { appendFile, mkdir, open, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { ResolvedJob } from '../config/types.ts'
import { stateDir } from './journal.ts'

/**
 * What lakesync remembers between runs: the source ETag each destination key was last copied
 * from, for multipart ETags only (single-part ones are compared directly). With it, a same-size
 * object whose multipart ETag changed since it was copied is recognised as re-published.
 *
 * One append-only file per job (name, source and destination) under the state dir, so a run
 * reads what earlier runs copied without replaying their journals (which grow with every run),
 * and a killed run keeps what it appended. Without the file (journals of an older lakesync),
 * the journals are replayed once and the file is written from them.
 */
export class EtagMemory {
  private pending: string[] = []

  private constructor(readonly file: string, readonly known: Map<string, string>, private readonly write: boolean) {}

  static async open(job: ResolvedJob, options: { write: boolean; dir?: string }): Promise<EtagMemory> {
    const dir = options.dir ?? stateDir()
    const file = path.join(dir, 'etags', `${jobIdentity(job)}.jsonl`)
    let known = await readMemory(file)
    if (!known) {
      known = await replayJournals(job, dir).catch(() => new Map<string, string>())
      // Written even when empty, so the journals are not replayed again; an unwritable state
      // dir only costs the memory.
      if (options.write) {
        await mkdir(path.dirname(file), { recursive: true })
          .then(() => writeFile(file, [...known!].map(([key, etag]) => line(key, etag)).join(''), { flag: 'wx' }))
          .catch(() => {})
      }
    }
    return new EtagMemory(file, known, options.write)
  }

  /** Records a copy whose source ETag is multipart; lines of one tick leave in one append. */
  remember(destKey: string, etag: string) {
    if (!isMultipart(etag)) return
    this.known.set(destKey, etag)
    if (!this.write) return
    if (!this.pending.length) setImmediate(() => void this.flush())
    this.pending.push(line(destKey, etag))
  }

  async flush() {
    const lines = this.pending.join('')
    this.pending = []
    if (lines) await appendFile(this.file, lines).catch(() => {})
  }
}

const isMultipart = (etag: string) => etag.includes('-')
const line = (key: string, etag: string) => JSON.stringify({ key, etag }) + '\n'

/** Name, source and destination: a job renamed or re-pointed starts a memory of its own. */
function jobIdentity(job: ResolvedJob): string {
  const id = JSON.stringify([job.name, `s3://${job.source.bucket}/${job.source.prefix}`, `s3://${job.destination.bucket}/${job.destination.prefix}`])
  return createHash('sha256').update(id).digest('hex').slice(0, 24)
}

async function readMemory(file: string): Promise<Map<string, string> | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return undefined
  }
  const known = new Map<string, string>()
  for (const l of text.split('\n')) {
    try {
      const { key, etag } = JSON.parse(l)
      if (typeof key === 'string' && typeof etag === 'string') known.set(key, etag)
    } catch {
      // an empty line, or one cut short by a kill
    }
  }
  return known
}

/** The memory as the journals hold it: oldest first, so later copies overwrite earlier ones. */
async function replayJournals(job: ResolvedJob, dir: string): Promise<Map<string, string>> {
  const runs = path.join(dir, 'runs')
  const files = (await readdir(runs).catch(() => [])).filter((f) => f.endsWith('.jsonl')).sort()
  const memory = new Map<string, string>()
  const source = `s3://${job.source.bucket}/${job.source.prefix}`
  const destination = `s3://${job.destination.bucket}/${job.destination.prefix}`
  for (const f of files) {
    const file = path.join(runs, f)
    if (!(await headerMatches(file, (j) => j.name === job.name && j.source.url === source && j.destination.url === destination))) continue
    // An unreadable journal only costs its memory: never fail a run over it.
    for (const l of (await readFile(file, 'utf8').catch(() => '')).split('\n')) {
      if (!l.includes('"type":"item"') || !l.includes('"action":"copied"')) continue
      let r: any
      try {
        r = JSON.parse(l)
      } catch {
        continue // a line cut short by a kill
      }
      if (r.job === job.name && typeof r.etag === 'string' && isMultipart(r.etag)) memory.set(r.destKey, r.etag)
    }
  }
  return memory
}

/** Reads just the header line of a journal. */
async function headerMatches(file: string, match: (job: any) => boolean): Promise<boolean> {
  const handle = await open(file, 'r').catch(() => undefined)
  try {
    const { buffer, bytesRead } = await handle!.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, 0)
    const header = JSON.parse(buffer.subarray(0, bytesRead).toString('utf8').split('\n')[0]!)
    return header.type === 'run' && header.jobs.some(match)
  } catch {
    return false
  } finally {
    await handle?.close()
  }
}
