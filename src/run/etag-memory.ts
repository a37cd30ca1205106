import { open, readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import type { ResolvedJob } from '../config/types.ts'
import { stateDir } from './journal.ts'

/**
 * What the journals remember: the source ETag each destination key was last copied from, for
 * multipart ETags only (single-part ones are compared directly). With it, a same-size object
 * whose multipart ETag changed since it was copied is recognised as re-published.
 */
export async function lastCopiedEtags(job: ResolvedJob, dir = stateDir()): Promise<Map<string, string>> {
  const runs = path.join(dir, 'runs')
  const files = (await readdir(runs).catch(() => [])).filter((f) => f.endsWith('.jsonl')).sort()
  const memory = new Map<string, string>()
  const source = `s3://${job.source.bucket}/${job.source.prefix}`
  const destination = `s3://${job.destination.bucket}/${job.destination.prefix}`
  // Oldest first, so later copies overwrite earlier ones; only journals of this job are read whole.
  for (const f of files) {
    const file = path.join(runs, f)
    if (!(await headerMatches(file, (j) => j.name === job.name && j.source.url === source && j.destination.url === destination))) continue
    // An unreadable journal only costs its memory: never fail a run over it.
    for (const line of (await readFile(file, 'utf8').catch(() => '')).split('\n')) {
      if (!line.includes('"type":"item"') || !line.includes('"action":"copied"')) continue
      let r: any
      try {
        r = JSON.parse(line)
      } catch {
        continue // a line cut short by a kill
      }
      if (r.job === job.name && typeof r.etag === 'string' && r.etag.includes('-')) memory.set(r.destKey, r.etag)
    }
  }
  return memory
}

/** Reads just the header line of a journal. */
async function headerMatches(file: string, match: (job: any) => boolean): Promise<boolean> {
  const handle = await open(file, 'r')
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, 0)
    const header = JSON.parse(buffer.subarray(0, bytesRead).toString('utf8').split('\n')[0]!)
    return header.type === 'run' && header.jobs.some(match)
  } catch {
    return false
  } finally {
    await handle.close()
  }
}
