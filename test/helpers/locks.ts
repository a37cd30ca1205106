import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'

/** The job lock files of a state dir that still hold: a released lock stays behind as a tombstone (`released`). */
export async function heldLocks(state: string): Promise<string[]> {
  const dir = path.join(state, 'locks')
  const held: string[] = []
  for (const f of (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.lock'))) {
    const text = await readFile(path.join(dir, f), 'utf8').catch(() => '{"released":true}')
    if (!JSON.parse(text).released) held.push(f)
  }
  return held
}
