import { DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3'
import type { PlanItem } from '../plan/diff.ts'
import { describeS3Error } from '../storage/errors.ts'

export type CopyOrSkip = Exclude<PlanItem, { action: 'delete' }>
type Deletion = Extract<PlanItem, { action: 'delete' }>

export interface DeleteOptions {
  client: S3Client
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
 * Passes copies and skips through, and deletes the destination objects the plan marks as
 * absent at the source, 1,000 per DeleteObjects request, never more than `max` in a run.
 */
export async function* applyDeletions(plan: AsyncIterable<PlanItem>, o: DeleteOptions): AsyncGenerator<CopyOrSkip> {
  let batch: Deletion[] = []
  let count = 0
  let limited = false
  const flush = async () => {
    const items = batch
    batch = []
    if (!items.length) return
    try {
      const r = await o.client.send(new DeleteObjectsCommand({ Bucket: o.bucket, Delete: { Objects: items.map((i) => ({ Key: i.destKey })), Quiet: true } }), { abortSignal: o.signal })
      const failed = new Map((r.Errors ?? []).map((e) => [e.Key, `${e.Code}: ${e.Message}`]))
      for (const i of items) await o.onDeleted(i, failed.has(i.destKey) ? { deleted: false, error: failed.get(i.destKey) } : { deleted: true })
    } catch (error) {
      for (const i of items) await o.onDeleted(i, { deleted: false, error: describeS3Error(error) })
    }
  }
  for await (const item of plan) {
    if (item.action !== 'delete') {
      yield item
      continue
    }
    if (count >= o.max) {
      if (!limited) (limited = true), await o.onLimit()
      continue
    }
    count++
    if (o.dryRun) await o.onDeleted(item, { deleted: false, planned: true })
    else if (batch.push(item) >= 1000) await flush()
  }
  if (!o.signal.aborted) await flush()
}
