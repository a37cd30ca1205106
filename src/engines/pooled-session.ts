import { Slots } from '../util/slots.ts'
import type { AdaptiveLimit } from './adaptive-limit.ts'
import type { CopyItem, CopyOutcome, EngineSession } from './types.ts'

/**
 * A session that runs `copy` with at most `limit` items in flight (a fixed number, or an
 * adaptive limit that each copy's latency informs); `close` waits for them, then `cleanup`.
 */
export function pooledSession(limit: number | AdaptiveLimit, copy: (item: CopyItem) => Promise<CopyOutcome>, onOutcome: (o: CopyOutcome) => void, cleanup?: () => Promise<void>): EngineSession {
  const adaptive = typeof limit === 'number' ? undefined : limit
  const slots = new Slots(adaptive ? () => adaptive.limit : (limit as number))
  return {
    async submit(item) {
      await slots.take()
      const started = performance.now()
      // A copy that throws instead of answering fails its item rather than the process.
      copy(item)
        .catch((error): CopyOutcome => ({ item, ok: false, engine: 'unknown', error: String((error as Error)?.message ?? error) }))
        .then((o) => (adaptive?.sample(performance.now() - started, slots.inUse), onOutcome(o)))
        .finally(() => slots.give())
    },
    async close() {
      await slots.idle()
      await cleanup?.()
    },
  }
}
