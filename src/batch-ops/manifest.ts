import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import type { PlanItem } from '../api/items.ts'

/** S3PutObjectCopy copies objects up to 5 GiB in one request; bigger ones stay with lakesync's multipart copy. */
export const BATCH_OPS_MAX_BYTES = 5 * 1024 ** 3
const EXAMPLES = 20

/**
 * A key as a Batch Operations CSV manifest carries it: URL-encoded, as the service documents
 * (every byte but unreserved characters and "/" as %XX, so commas, quotes, "+" and newlines
 * never reach the CSV raw). The service decodes it back to the exact key.
 */
export function encodeManifestKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

export function decodeManifestKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, '%20'))
}

export interface ManifestTally {
  /** Objects in the manifest, and their bytes. */
  objects: number
  bytes: number
  /** Copies over 5 GiB, left to `lakesync sync`: how many, and the first few (for the user). */
  oversized: number
  oversizedExamples: { key: string; size: number }[]
  /** Items the plan skips (already at the destination). */
  skipped: number
}

/**
 * Writes the plan's copies as a Batch Operations CSV manifest (`bucket,key` per line, no header)
 * to `file`, a line at a time: a manifest of 10^8 keys never sits in memory.
 */
export async function writeManifest(items: AsyncIterable<PlanItem>, sourceBucket: string, file: string): Promise<ManifestTally> {
  const tally: ManifestTally = { objects: 0, bytes: 0, oversized: 0, oversizedExamples: [], skipped: 0 }
  const out = createWriteStream(file)
  try {
    for await (const item of items) {
      if (item.action !== 'copy') {
        tally.skipped++
        continue
      }
      if (item.size > BATCH_OPS_MAX_BYTES) {
        if (tally.oversized++ < EXAMPLES) tally.oversizedExamples.push({ key: item.key, size: item.size })
        continue
      }
      tally.objects++
      tally.bytes += item.size
      if (!out.write(`${sourceBucket},${encodeManifestKey(item.key)}\n`)) await once(out, 'drain')
    }
  } finally {
    out.end()
    await once(out, 'close')
  }
  return tally
}
