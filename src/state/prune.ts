import { open, readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { stateDir } from './journal.ts'

/**
 * Deletes the run journals beyond the newest `keep` runs of each job. A journal stays while any
 * job it ran is still among that job's newest runs; one whose header cannot be read is left
 * alone. The ETag memory lives apart (src/state/etag-memory.ts), so pruning forgets nothing
 * a later run needs.
 */
export async function pruneRuns(keepOf: (job: string) => number, dir = stateDir()): Promise<{ removed: number; kept: number }> {
  const runs = path.join(dir, 'runs')
  // Names start with the run's start time, so they sort by age.
  const files = (await readdir(runs).catch(() => [] as string[])).filter((f) => f.endsWith('.jsonl')).sort().reverse()
  const seen = new Map<string, number>()
  let removed = 0
  for (const f of files) {
    const file = path.join(runs, f)
    const jobs = await headerJobs(file)
    if (!jobs?.length) continue
    const counts = jobs.map((j) => {
      const n = (seen.get(j) ?? 0) + 1
      seen.set(j, n)
      return n <= keepOf(j)
    })
    if (counts.some(Boolean)) continue
    await rm(file, { force: true })
    removed++
  }
  return { removed, kept: files.length - removed }
}

/** The job names of a journal's first line, reading only its start. */
async function headerJobs(file: string): Promise<string[] | undefined> {
  const handle = await open(file, 'r').catch(() => undefined)
  if (!handle) return undefined
  try {
    // A header describes the run's jobs: a few KB, more for a config of many jobs.
    let text = ''
    for (let size = 16 * 1024; size <= 4 * 1024 * 1024 && !text.includes('\n'); size *= 8) {
      const { buffer, bytesRead } = await handle.read({ buffer: Buffer.allocUnsafe(size), position: 0 })
      text = buffer.toString('utf8', 0, bytesRead)
      if (bytesRead < size) break
    }
    const header = JSON.parse(text.slice(0, text.indexOf('\n')))
    return header?.type === 'run' && Array.isArray(header.jobs) ? header.jobs.map((j: { name?: unknown }) => String(j?.name)) : undefined
  } catch {
    return undefined // a folder, a header cut short or not JSON
  } finally {
    await handle.close()
  }
}
