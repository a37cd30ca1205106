import { quarantineCopy, readSidecar, readSha256, storedSha256, type CopyToVerify, type CopyVerdict, type Plugin, type VerifyContext } from '../src/index.ts'
import { CHECKSUM_OPTIONS } from './checksums-options.ts'

/**
 * Verifies every copied zip against its `.CHECKSUM` sidecar (the same as `--verify checksum`):
 * server-side copies ask the server for the SHA-256 as they copy, traditional copies hash the
 * bytes as they stream. A mismatch fails the run with exit code 3, and the copy is deleted,
 * or moved under `quarantine` (a prefix in the destination bucket).
 */
export function checksums(options: { quarantine?: string } = {}): Plugin {
  return {
    ...checksumVerifier(),
    config: () => ({ defaults: { verify: 'checksum', ...(options.quarantine ? { quarantine: options.quarantine } : {}) } }),
  }
}

/**
 * The check alone, for jobs with `verify: 'checksum'` (a config's or `--verify checksum`), and
 * for every zip `lakesync verify` audits: lakesync adds it when a config does not list checksums().
 */
export function checksumVerifier(): Plugin {
  return {
    name: 'lakesync:checksums',
    options: CHECKSUM_OPTIONS,
    // Server-side copies return the new object's SHA-256 only when asked (CopyObject's checksum).
    copyNeeds: (job) => (job.verify === 'checksum' ? { sha256: true } : undefined),
    verifyCopy: (copy, ctx) => ((ctx.readOnly || ctx.job.verify === 'checksum') && copy.key.endsWith('.zip') ? checkAgainstSidecar(copy, ctx) : undefined),
  }
}

/**
 * The copy's digest (CopyObject's SHA-256 or the streamed bytes' hash, else the one the server
 * stored; an audit reads the bytes when there is neither) against its sidecar's.
 */
async function checkAgainstSidecar(copy: CopyToVerify, ctx: VerifyContext): Promise<CopyVerdict> {
  const { job, signal } = ctx
  // lakesync checks as many copies at once as it copies (verify/plugin-checks.ts).
  const published = await readSidecar(ctx.source, job.source.bucket, copy.key, signal)
  if (!published) return { note: 'no .CHECKSUM sidecar, not checksum-verified', counted: 'without sidecar' }
  const known = copy.sha256 ?? (await storedSha256(ctx.dest, job.destination.bucket, copy.destKey, signal))
  // Only an audit reads the bytes; a sync's copies are checked by the digests it was given.
  const read = !known && ctx.readOnly
  const actual = read ? await readSha256(ctx.dest, job.destination.bucket, copy.destKey, signal) : known
  if (!actual) return { note: 'the server keeps no SHA-256 for this copy, not checksum-verified', counted: 'without a stored SHA-256' }
  if (actual === published) return { note: 'SHA-256 matches its sidecar', counted: read ? 'match their sidecar (read to hash)' : 'match their sidecar' }
  const where = ctx.readOnly ? 'left in place' : await quarantineCopy(ctx.dest, job, copy.destKey, signal)
  return { fail: { code: 'ChecksumMismatch', error: `SHA-256 mismatch: the sidecar says ${published}, the copy has ${actual}; ${where}`, details: { sidecar: published, actual } } }
}
