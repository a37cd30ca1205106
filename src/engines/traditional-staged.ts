import { createReadStream, createWriteStream, rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { pooledSession } from './pooled-session.ts'
import { classify, describeS3Error } from '../storage/errors.ts'
import { HashingStream, upload } from './transfer.ts'
import type { CopyItem, CopyOutcome, Engine, EngineContext, EngineSession } from './types.ts'

/** Temp dirs of live sessions, removed even if the process exits without closing them. */
const liveDirs = new Set<string>()
process.once('exit', () => {
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true })
})

/**
 * The legacy flow, kept as the benchmark baseline: download each object to a temp file,
 * then upload the file. Files are removed after each copy, and the session's temp dir on
 * close, failure or interrupt.
 */
export const stagedEngine: Engine = {
  name: 'staged',
  capabilities: { serverSide: false, batchProcess: false, answersWithEtag: false, formEncodedSource: false },
  accepts: () => true,
  open(ctx: EngineContext, onOutcome: (o: CopyOutcome) => void): EngineSession {
    const { job, signal } = ctx
    const parent = ctx.tempDir ?? tmpdir()
    const dir = mkdtemp(path.join(parent, 'lakesync-staged-')).then((d) => (liveDirs.add(d), d))
    dir.catch(() => {}) // said by the first copy
    let onDisk = 0
    let n = 0
    const copy = async (item: CopyItem): Promise<CopyOutcome> => {
      const made = await dir.then((d) => d, (error: NodeJS.ErrnoException) => error)
      if (made instanceof Error) {
        const why = `no temp dir for staged copies in ${parent} (${made.code ?? made.message}): create it, or point LAKESYNC_TMPDIR at a writable folder`
        return { item, ok: false, engine: 'staged', error: why, code: 'LocalTempDir', stopsJob: true }
      }
      const file = path.join(made, `object-${++n}`)
      try {
        const src = await ctx.source.getObject(job.source.bucket, item.key, signal)
        const hashing = new HashingStream(ctx.metrics)
        onDisk += item.size
        ctx.metrics.peakDiskBytes = Math.max(ctx.metrics.peakDiskBytes, onDisk)
        await pipeline(src.body, hashing, createWriteStream(file), { signal })
        if (hashing.bytes !== item.size) throw new Error(`read ${hashing.bytes} bytes, expected ${item.size}: the source changed during the copy`)
        await upload(ctx.dest, job, item.destKey, createReadStream(file), item.size, src.meta, signal)
        return { item, ok: true, engine: 'staged', bytesThroughHost: item.size, sha256: hashing.digest() }
      } catch (error) {
        return { item, ok: false, engine: 'staged', error: signal.aborted ? 'interrupted' : describeS3Error(error), ...classify(error) }
      } finally {
        await rm(file, { force: true })
        onDisk -= item.size
      }
    }
    return pooledSession(job.concurrency, copy, onOutcome, async () => {
      const d = await dir.catch(() => undefined)
      if (!d) return
      await rm(d, { recursive: true, force: true })
      liveDirs.delete(d)
    })
  },
}
