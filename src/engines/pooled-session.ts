import { Slots } from '../util/slots.ts'
import type { CopyItem, CopyOutcome, EngineSession } from './types.ts'

/** A session that runs `copy` with at most `concurrency` items in flight; `close` waits for them, then `cleanup`. */
export function pooledSession(concurrency: number, copy: (item: CopyItem) => Promise<CopyOutcome>, onOutcome: (o: CopyOutcome) => void, cleanup?: () => Promise<void>): EngineSession {
  const slots = new Slots(concurrency)
  return {
    async submit(item) {
      await slots.take()
      // A copy that throws instead of answering fails its item rather than the process.
      copy(item).catch((error): CopyOutcome => ({ item, ok: false, engine: 'unknown', error: String((error as Error)?.message ?? error) })).then(onOutcome).finally(() => slots.give())
    },
    async close() {
      await slots.idle()
      await cleanup?.()
    },
  }
}
