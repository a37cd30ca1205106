import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, type Stats } from 'node:fs'
import { chmod, lstat, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises'
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
 * Writes the embedded s5cmd to the cache dir unless a copy with the right SHA-256 is there, and
 * returns the path to run. The dir must be this user's own and writable by no one else: anyone
 * who could write there could swap the file between its check and its run, or plant links at
 * the names written (a root run would then write over a file of their choosing). Elsewhere the
 * binary's s5cmd is unusable, with the reason (the run copies with the lean engine). A copy that
 * fails the check (a flipped bit, a truncated write, a link) is replaced: written to a fresh
 * name created exclusively (never through a link), then renamed over. Copies of other versions
 * and temporaries a killed run left are removed.
 */
export async function installEmbeddedS5cmd(meta: EmbeddedMeta, env = process.env, asset = embeddedAsset): Promise<Installed> {
  const target = embeddedPath(meta, env)
  const dir = path.dirname(target)
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
  } catch (error) {
    return { unusable: `cannot write it to ${dir} (${(error as Error).message}); set LAKESYNC_CACHE_DIR to a writable folder` }
  }
  const unsafe = await unsafeDir(dir)
  if (unsafe) return { unusable: `the cache dir ${dir} ${unsafe}, so the s5cmd there could be swapped; set LAKESYNC_CACHE_DIR to a folder of your own that only you can write` }
  await removeStale(dir, path.basename(target))
  const entry = await lstat(target).catch(() => undefined)
  // Only a regular file of this user's that no one else may write is hashed and run (a link is replaced).
  const existing = entry?.isFile() && !sharedWithOthers(entry) ? await sha256OfFile(target).catch(() => undefined) : undefined
  if (existing === meta.sha256) return { path: target, replaced: false }
  const temporary = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  try {
    // wx: created here and now, or failing; a link planted at the name is never followed.
    await writeFile(temporary, asset(), { mode: 0o700, flag: 'wx' })
    if ((await sha256OfFile(temporary)) !== meta.sha256) throw new Error('the written copy does not match its SHA-256')
    await chmod(temporary, 0o755)
    await rename(temporary, target)
    return { path: target, replaced: entry !== undefined }
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined)
    return { unusable: `cannot write it to ${dir} (${(error as Error).message}); set LAKESYNC_CACHE_DIR to a writable folder` }
  }
}

const embeddedAsset = () => new Uint8Array(singleBinaryAssets()!.getAsset('s5cmd') as ArrayBuffer)

/** Why a cache dir is not safe to run from, or undefined: a link, another owner, or write access for others. */
async function unsafeDir(dir: string): Promise<string | undefined> {
  const info = await lstat(dir)
  if (info.isSymbolicLink()) return 'is a symbolic link'
  if (!info.isDirectory()) return 'is not a folder'
  return sharedWithOthers(info)
}

/** Why others could change this file or folder: another owner, or write access for group or others; undefined when only this user can. */
function sharedWithOthers(info: Stats): string | undefined {
  const uid = process.getuid?.()
  if (uid !== undefined && info.uid !== uid) return `belongs to another user (uid ${info.uid})`
  if (info.mode & 0o022) return `may be written by others (mode ${(info.mode & 0o777).toString(8)})`
  return undefined
}

/** A temporary older than this was left by a killed run (a write takes well under a second). */
const STALE_TEMPORARY_MS = 10 * 60_000

/** Copies of other versions, and temporaries a killed run left: the cache keeps only the current s5cmd. */
async function removeStale(dir: string, current: string) {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith('s5cmd-') || name === current) continue
    const file = path.join(dir, name)
    const old = name.endsWith('.tmp') ? Date.now() - ((await lstat(file).catch(() => undefined))?.mtimeMs ?? Date.now()) > STALE_TEMPORARY_MS : !name.startsWith(`${current}.`)
    if (old) await rm(file, { force: true }).catch(() => undefined)
  }
}

export function sha256OfFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256')
    createReadStream(file).on('error', reject).on('data', (chunk) => hash.update(chunk)).on('end', () => resolve(hash.digest('hex')))
  })
}
