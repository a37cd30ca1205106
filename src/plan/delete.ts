import type { S3Transport } from '../api/transport.ts'
import type { PlanItem } from '../api/items.ts'
import { describeS3Error } from '../storage/errors.ts'

export type CopyOrSkip = Exclude<PlanItem, { action: 'delete' }>
type Deletion = Extract<PlanItem, { action: 'delete' }>

export interface DeleteOptions {
  transport: S3Transport
  bucket: string
  /** At most this many deletions per run; the rest are reported, not deleted. */
  max: number
  dryRun: boolean
  signal: AbortSignal
  onDeleted(item: Deletion, outcome: { deleted: boolean; error?: string; planned?: boolean }): Promise<void>
  /** Called once when an extra object is found beyond `max`. */
  onLimit(): Promise<void>
}

/**
 * Passes copies and skips through, and collects the destination objects the plan marks as
 * absent at the source (never more than `max` in a run). They are deleted, 1,000 per
 * DeleteObjects request, only once the plan has ended cleanly: a listing that fails part-way
 * must not make the keys it never reached look absent. Memory: at most `max` held items.
 */
export async function* applyDeletions(plan: AsyncIterable<PlanItem>, o: DeleteOptions): AsyncGenerator<CopyOrSkip> {
  const pending: Deletion[] = []
  let limited = false
  for await (const item of plan) {
    if (item.action !== 'delete') {
      yield item
      continue
    }
    if (pending.length >= o.max) {
      if (!limited) (limited = true), await o.onLimit()
      continue
    }
    pending.push(item)
  }
  if (o.signal.aborted) return
  for (let at = 0; at < pending.length; at += 1000) {
    const items = pending.slice(at, at + 1000)
    if (o.dryRun) for (const i of items) await o.onDeleted(i, { deleted: false, planned: true })
    else await deleteBatch(items, o)
  }
}

async function deleteBatch(items: Deletion[], o: DeleteOptions) {
  try {
    const failed = new Map((await o.transport.deleteObjects(o.bucket, items.map((i) => i.destKey), o.signal)).map((e) => [e.key, e.error]))
    for (const i of items) await o.onDeleted(i, failed.has(i.destKey) ? { deleted: false, error: failed.get(i.destKey) } : { deleted: true })
  } catch (error) {
    for (const i of items) await o.onDeleted(i, { deleted: false, error: describeS3Error(error) })
  }
}
