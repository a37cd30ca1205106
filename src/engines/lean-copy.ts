import { pooledSession } from './pooled-session.ts'
import { serverSideCopy } from './sdk-copy.ts'
import type { CopyOutcome, Engine, EngineContext, EngineSession } from './types.ts'

/**
 * Server-side copies like the sdk engine, through the lean transport (storage/lean-transport.ts):
 * a half to a quarter of the sdk engine's CPU per copy (docs/BENCHMARKS-HISTORY.md §8). What the lean
 * path declines (an error answer, a timeout, an endpoint it does not handle) and multipart copies
 * go through the SDK, so retries, error codes and fallbacks are the sdk engine's.
 */
export const leanEngine: Engine = {
  name: 'lean',
  capabilities: { serverSide: true, batchProcess: false, answersWithEtag: true, formEncodedSource: false },
  accepts: () => true,
  open(ctx: EngineContext, onOutcome: (o: CopyOutcome) => void): EngineSession {
    return pooledSession(ctx.adaptive ?? ctx.job.concurrency, (item) => serverSideCopy(item, ctx, ctx.dest, 'lean'), onOutcome)
  },
}
