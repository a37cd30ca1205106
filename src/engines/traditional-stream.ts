import { pipeline } from 'node:stream'
import { Slots } from '../util/slots.ts'
import { pooledSession } from './pooled-session.ts'
import { classify, describeS3Error } from '../storage/errors.ts'
import { HashingStream, STREAM_PART_SIZE, upload } from './transfer.ts'
import type { CopyItem, CopyOutcome, Engine, EngineContext, EngineSession } from './types.ts'

/** Large objects at once: each holds up to ~4 parts in memory while it streams. */
const LARGE_AT_ONCE = 2

/**
 * Traditional copy without local files: the source GET streams straight into the
 * destination upload, hashed on the way. Memory stays bounded: small objects stream as
 * one PutObject, at most LARGE_AT_ONCE large ones buffer a few parts each.
 */
export const streamEngine: Engine = {
  name: 'stream',
  capabilities: { serverSide: false, batchProcess: false, answersWithEtag: false, formEncodedSource: false },
  accepts: () => true,
  open(ctx: EngineContext, onOutcome: (o: CopyOutcome) => void): EngineSession {
    const { job, signal } = ctx
    const large = new Slots(LARGE_AT_ONCE)
    const copy = async (item: CopyItem): Promise<CopyOutcome> => {
      const isLarge = item.size > STREAM_PART_SIZE
      if (isLarge) await large.take()
      try {
        const src = await ctx.source.getObject(job.source.bucket, item.key, signal)
        const hashing = new HashingStream(ctx.metrics)
        pipeline(src.body, hashing, () => {})
        await upload(ctx.dest, job, item.destKey, hashing, item.size, src.meta, signal)
        if (hashing.bytes !== item.size) throw new Error(`read ${hashing.bytes} bytes, expected ${item.size}: the source changed during the copy`)
        return { item, ok: true, engine: 'stream', bytesThroughHost: item.size, sha256: hashing.digest() }
      } catch (error) {
        return { item, ok: false, engine: 'stream', error: signal.aborted ? 'interrupted' : describeS3Error(error), ...classify(error) }
      } finally {
        if (isLarge) large.give()
      }
    }
    return pooledSession(job.concurrency, copy, onOutcome)
  },
}
