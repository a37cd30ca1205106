import { mkdir } from 'node:fs/promises'
import path from 'node:path'

/**
 * mkdir -p that gives up: one mkdir per missing level, so a path the kernel refuses (under
 * /proc, say) fails at once. Node's own recursive mkdir can retry such a path without end.
 */
export async function makeDir(dir: string, depth = 0): Promise<void> {
  try {
    await mkdir(dir)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return
    const parent = path.dirname(dir)
    if (code !== 'ENOENT' || parent === dir || depth > 64) throw error
    await makeDir(parent, depth + 1)
    await mkdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e
    })
  }
}
