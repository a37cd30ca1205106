import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'

/** The lines of the first run journal in a state dir (a suite's state dir of one run), parsed; none when there is no journal. */
export async function readJournal(state: string): Promise<Record<string, unknown>[]> {
  const runs = path.join(state, 'runs')
  const [file] = await readdir(runs).catch(() => [] as string[])
  if (!file) return []
  return (await readFile(path.join(runs, file), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l))
}
