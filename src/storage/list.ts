import { ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3'
import { compareKeys } from './keys.ts'

export interface ListedObject {
  key: string
  size: number
  etag: string
}

/**
 * Streams a prefix one ListObjectsV2 page at a time, in key order; the next page is requested
 * while this one is consumed, so at most two pages are held. Throws if the server breaks key
 * order, since the planner's merge-join depends on it.
 */
export async function* listObjects(
  client: S3Client,
  bucket: string,
  prefix: string,
  options: { signal?: AbortSignal; pageSize?: number; firstPageSize?: number } = {},
): AsyncGenerator<ListedObject> {
  // A small first page lets copying start while the server lists the rest.
  const fetch = (token?: string): Promise<ListObjectsV2CommandOutput> =>
    client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token, MaxKeys: token ? options.pageSize : (options.firstPageSize ?? 100) }),
      { abortSignal: options.signal },
    )
  let previous: string | undefined
  let next: Promise<ListObjectsV2CommandOutput> | undefined = fetch()
  while (next) {
    const page: ListObjectsV2CommandOutput = await next
    const token: string | undefined = page.IsTruncated ? page.NextContinuationToken : undefined
    next = token ? fetch(token) : undefined
    next?.catch(() => {}) // rethrown when awaited
    for (const o of page.Contents ?? []) {
      const key = o.Key!
      if (previous !== undefined && compareKeys(previous, key) >= 0) {
        throw new Error(`s3://${bucket}/ listed ${JSON.stringify(key)} after ${JSON.stringify(previous)}: the server does not return keys in order`)
      }
      previous = key
      yield { key, size: o.Size ?? 0, etag: o.ETag ?? '' }
    }
  }
}
