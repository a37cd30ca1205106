import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import { compareKeys } from './keys.ts'

export interface ListedObject {
  key: string
  size: number
  etag: string
}

/**
 * Streams a prefix one ListObjectsV2 page at a time, in key order, holding one page in memory.
 * Throws if the server breaks key order, since the planner's merge-join depends on it.
 */
export async function* listObjects(
  client: S3Client,
  bucket: string,
  prefix: string,
  options: { signal?: AbortSignal; pageSize?: number } = {},
): AsyncGenerator<ListedObject> {
  let token: string | undefined
  let previous: string | undefined
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token, MaxKeys: options.pageSize }),
      { abortSignal: options.signal },
    )
    for (const o of page.Contents ?? []) {
      const key = o.Key!
      if (previous !== undefined && compareKeys(previous, key) >= 0) {
        throw new Error(`s3://${bucket}/ listed ${JSON.stringify(key)} after ${JSON.stringify(previous)}: the server does not return keys in order`)
      }
      previous = key
      yield { key, size: o.Size ?? 0, etag: o.ETag ?? '' }
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token)
}
