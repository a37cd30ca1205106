import { Slots } from '../util/slots.ts'
import type { CopyItem, CopyOutcome, EngineSession } from './types.ts'

/** A session that runs `copy` with at most `concurrency` items in flight; `close` waits for them, then `cleanup`. */
export function pooledSession(concurrency: number, copy: (item: CopyItem) => Promise<CopyOutcome>, onOutcome: (o: CopyOutcome) => void, cleanup?: () => Promise<void>): EngineSession {
  const slots = new Slots(concurrency)
  return {
    async submit(item) {
      await slots.take()
      copy(item).then(onOutcome).finally(() => slots.give())
    },
    async close() {
      await slots.idle()
      await cleanup?.()
    },
  }
}
