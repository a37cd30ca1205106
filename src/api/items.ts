/** What the planner hands the copy stage: one decision per key, with its reason. */
export type CopyReason = 'missing' | 'size-differs' | 'etag-differs' | 'republished'
export type SkipReason = 'unchanged' | 'same-size' | 'unchanged-journal' | 'written-after'

export type PlanItem =
  | { action: 'copy'; key: string; destKey: string; size: number; etag: string; reason: CopyReason }
  | { action: 'skip'; key: string; destKey: string; size: number; etag: string; reason: SkipReason }
  /** Only with `extras`: a destination object no source object maps to (`key` is the destination key). */
  | { action: 'delete'; key: string; destKey: string; size: number; etag: string; reason: 'absent-at-source' }

export const REASON_TEXT: Record<PlanItem['reason'], string> = {
  missing: 'missing at destination',
  'size-differs': 'size differs',
  'etag-differs': 'content differs (ETag)',
  unchanged: 'unchanged (same size and ETag)',
  'same-size': 'same size (multipart ETag cannot be compared)',
  republished: 'source re-published (its ETag changed since the last copy)',
  'unchanged-journal': 'unchanged (same size and the source ETag recorded at the last copy)',
  'written-after': 'unchanged (same size, written after the source last changed; this destination\'s ETags are not content hashes)',
  'absent-at-source': 'absent at the source',
}
