import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import path from 'node:path'
import { singleBinaryAssets } from '../util/single-binary.ts'

/** What scripts/build-binary.mjs stores beside the s5cmd asset. */
interface EmbeddedMeta {
  version: string
  sha256: string
}

/** The s5cmd the binary carries: its version and SHA-256, or undefined outside a binary built with one. */
export function embeddedS5cmd(): EmbeddedMeta | undefined {
  try {
    return JSON.parse(singleBinaryAssets()?.getAsset('s5cmd.json', 'utf8') as string) as EmbeddedMeta
  } catch {
    return undefined
  }
}

/** $LAKESYNC_CACHE_DIR, else $XDG_CACHE_HOME/lakesync, else ~/.cache/lakesync. */
export function cacheDir(env = process.env): string {
  if (env.LAKESYNC_CACHE_DIR) return env.LAKESYNC_CACHE_DIR
  return path.join(env.XDG_CACHE_HOME || path.join(env.HOME || homedir(), '.cache'), 'lakesync')
}

/** Where the embedded s5cmd lives once written: named by version and digest, so builds never share a file. */
export const embeddedPath = (meta: EmbeddedMeta, env = process.env) => path.join(cacheDir(env), `s5cmd-${meta.version}-${meta.sha256.slice(0, 12)}`)

export type Installed = { path: string; replaced: boolean } | { unusable: string }

/**
 * Writes the embedded s5cmd to the cache dir unless a copy with the right SHA-256 is there. A
 * copy that fails the check (a flipped bit, a truncated write) is replaced; the write goes to a
 * temporary name first, so a crash or a full disk never leaves a half-written s5cmd to run.
 */
export async function installEmbeddedS5cmd(meta: EmbeddedMeta, env = process.env): Promise<Installed> {
  const target = embeddedPath(meta, env)
  const existing = await sha256OfFile(target).catch(() => undefined)
  if (existing === meta.sha256) return { path: target, replaced: false }
  const temporary = `${target}.${process.pid}.tmp`
  try {
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 })
    await writeFile(temporary, new Uint8Array(singleBinaryAssets()!.getAsset('s5cmd') as ArrayBuffer), { mode: 0o700 })
    await chmod(temporary, 0o755)
    await rename(temporary, target)
    return { path: target, replaced: existing !== undefined }
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined)
    return { unusable: `cannot write it to ${path.dirname(target)} (${(error as Error).message}); set LAKESYNC_CACHE_DIR to a writable folder` }
  }
}

export function sha256OfFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256')
    createReadStream(file).on('error', reject).on('data', (chunk) => hash.update(chunk)).on('end', () => resolve(hash.digest('hex')))
  })
}
