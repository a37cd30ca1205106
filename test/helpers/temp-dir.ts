import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

/** Runs `fn` in a fresh temp folder named `prefix…`, removed afterwards whatever happens. */
export async function inTempDir(prefix: string, fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(path.join(tmpdir(), prefix))
  try {
    await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
