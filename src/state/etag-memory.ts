import { createHash, randomUUID } from 'node:crypto'
import { access, appendFile, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { ResolvedJob } from '../api/config.ts'
import { stateDir } from './journal.ts'
import { makeDir } from '../util/make-dir.ts'
import { sameEtag, singlePart } from '../storage/etags.ts'
import type { LastCopies } from '../plan/diff.ts'

/**
 * What lakesync remembers between runs: the source ETag each destination key was last copied
 * from, for multipart ETags only (single-part ones are compared directly). With it, a same-size
 * object whose multipart ETag changed since it was copied is recognised as re-published. And
 * whether the destination answers ETags that are not content hashes (SSE-KMS, SSE-C): one
 * marker file per job, written the first time a copy shows it, so an encrypted lake
 * is not re-copied every run (src/plan/diff.ts).
 *
 * One append-only file per job (name, source and destination) under the state dir's `etags`
 * folder, so a run reads what earlier runs copied without replaying their journals (which grow
 * with every run), and a killed run keeps what it appended. A state dir without that folder
 * (from a lakesync that kept this memory in its journals only) has its journals replayed once,
 * for every job, to write it.
 */
export class EtagMemory implements LastCopies {
  private pending: string[] = []

  private constructor(readonly file: string, readonly known: Map<string, string>, public opaqueDestination: boolean, private readonly write: boolean) {}

  static async open(job: Pick<ResolvedJob, 'name' | 'source' | 'destination'>, options: { write: boolean; dir?: string }): Promise<EtagMemory> {
    const folder = path.join(options.dir ?? stateDir(), 'etags')
    const id = jobIdentity(job.name, `s3://${job.source.bucket}/${job.source.prefix}`, `s3://${job.destination.bucket}/${job.destination.prefix}`)
    const file = path.join(folder, `${id}.jsonl`)
    if (await exists(folder)) return new EtagMemory(file, (await readMemory(file)) ?? new Map(), await exists(opaqueMarker(file)), options.write)
    const memories = await replayJournals(path.join(folder, '..', 'runs')).catch(() => new Map<string, Map<string, string>>())
    // An unwritable state dir only costs the memory.
    if (options.write) await writeFolder(folder, memories).catch(() => {})
    return new EtagMemory(file, memories.get(id) ?? new Map(), false, options.write)
  }

  /**
   * Records a copy: its source ETag when multipart (lines of one tick leave in one append), and
   * whether the new object's ETag (`answered`: the copy's answer, or the size check's listing)
   * was another plain ETag than a single-part source's: a destination whose ETags are not content hashes.
   */
  remember(destKey: string, etag: string, answered?: string) {
    // Both plain: a multipart upload of a single-part source has another ETag by design.
    if (answered && !this.opaqueDestination && singlePart(etag) && singlePart(answered) && !sameEtag(answered, etag)) {
      this.opaqueDestination = true
      if (this.write) void writeFile(opaqueMarker(this.file), `${JSON.stringify({ since: new Date().toISOString(), sourceEtag: etag, destinationEtag: answered })}\n`).catch(() => {})
    }
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
const opaqueMarker = (file: string) => file.replace(/\.jsonl$/, '.opaque-etags')
const line = (key: string, etag: string) => JSON.stringify({ key, etag }) + '\n'

/** Name, source and destination: a job renamed or re-pointed starts a memory of its own. */
/** A file-name-safe identity of a job: its name, source and destination (state files per job). */
export function jobIdentity(name: string, source: string, destination: string): string {
  return createHash('sha256').update(JSON.stringify([name, source, destination])).digest('hex').slice(0, 24)
}

const exists = (p: string) => access(p).then(() => true, () => false)

/** A JSON line, or undefined for one cut short by a kill. */
function parse(line: string): any {
  try {
    return JSON.parse(line)
  } catch {
    return undefined
  }
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
    const r = parse(l)
    if (typeof r?.key === 'string' && typeof r.etag === 'string') known.set(r.key, r.etag)
  }
  return known
}

/** Every job's memory as the journals hold it, oldest first, so later copies overwrite earlier ones. */
async function replayJournals(runs: string): Promise<Map<string, Map<string, string>>> {
  const memories = new Map<string, Map<string, string>>()
  for (const f of (await readdir(runs).catch(() => [])).filter((f) => f.endsWith('.jsonl')).sort()) {
    // An unreadable journal only costs its memory: never fail a run over it.
    const [first, ...lines] = (await readFile(path.join(runs, f), 'utf8').catch(() => '')).split('\n')
    const header = parse(first!)
    if (header?.type !== 'run' || !Array.isArray(header.jobs)) continue
    const ids = new Map<string, string>(header.jobs.map((j: any) => [j.name, jobIdentity(j.name, j.source?.url, j.destination?.url)]))
    for (const l of lines) {
      if (!l.includes('"type":"item"') || !l.includes('"action":"copied"')) continue
      const r = parse(l)
      const id = ids.get(r?.job)
      if (!id || typeof r.etag !== 'string' || !isMultipart(r.etag)) continue
      if (!memories.has(id)) memories.set(id, new Map())
      memories.get(id)!.set(r.destKey, r.etag)
    }
  }
  return memories
}

/** Writes the folder whole, then renames it into place, so no run sees half of it. */
async function writeFolder(folder: string, memories: Map<string, Map<string, string>>) {
  const temp = `${folder}.${randomUUID()}.tmp`
  await makeDir(temp)
  for (const [id, known] of memories) await writeFile(path.join(temp, `${id}.jsonl`), [...known].map(([key, etag]) => line(key, etag)).join(''))
  // Another run may have written it first: theirs stands.
  await rename(temp, folder).catch(() => rm(temp, { recursive: true, force: true }))
}
