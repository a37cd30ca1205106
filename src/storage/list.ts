import { ListObjectsV2Command, type ListObjectsV2CommandInput, type S3Client } from '@aws-sdk/client-s3'
import { compareKeys } from './keys.ts'
import { parseListBucketResult, type ListPage } from './list-xml.ts'

export type ListedObject = ListPage['objects'][number]

const EMPTY_RESULT = new TextEncoder().encode('<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>')

/**
 * One ListObjectsV2 page (no delimiter), read by the fast reader of list-xml.ts: a middleware
 * on this command alone takes the raw body and leaves the SDK an empty result to parse.
 * Errors, retries and signing stay the SDK's.
 */
export async function listPage(client: S3Client, input: Omit<ListObjectsV2CommandInput, 'Delimiter'>, signal?: AbortSignal): Promise<ListPage> {
  const command = new ListObjectsV2Command(input)
  let fast: ListPage | undefined
  command.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args)
      const response = result.response as { statusCode?: number; body?: any }
      fast = undefined // each attempt reads its own body
      if (response.statusCode === 200 && response.body) {
        const raw = await readBody(response.body)
        fast = parseListBucketResult(raw.toString('utf8'))
        response.body = fast ? EMPTY_RESULT : new Uint8Array(raw)
      }
      return result
    },
    { step: 'deserialize', priority: 'low', name: 'lakesyncFastList' },
  )
  const output = await client.send(command, { abortSignal: signal })
  if (fast) return fast
  return {
    objects: (output.Contents ?? []).map((o) => ({ key: o.Key!, size: o.Size ?? 0, etag: o.ETag ?? '' })),
    truncated: Boolean(output.IsTruncated),
    ...(output.NextContinuationToken ? { nextToken: output.NextContinuationToken } : {}),
  }
}

async function readBody(body: any): Promise<Buffer> {
  if (body instanceof Uint8Array) return Buffer.from(body)
  const chunks: Buffer[] = []
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks)
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
  // Pages grow (100, 400, then the page size): copying starts with the first small page, and
  // the second arrives before the first is copied.
  const sizes = [options.firstPageSize ?? 100, Math.min(options.pageSize ?? 1000, 4 * (options.firstPageSize ?? 100))]
  let pages = 0
  const fetch = (token?: string) =>
    listPage(client, { Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token, MaxKeys: sizes[pages++] ?? options.pageSize }, options.signal)
  let previous: string | undefined
  let next: Promise<ListPage> | undefined = fetch()
  while (next) {
    const page: ListPage = await next
    next = page.truncated && page.nextToken ? fetch(page.nextToken) : undefined
    next?.catch(() => {}) // rethrown when awaited
    for (const o of page.objects) {
      if (previous !== undefined && compareKeys(previous, o.key) >= 0) {
        throw new Error(`s3://${bucket}/ listed ${JSON.stringify(o.key)} after ${JSON.stringify(previous)}: the server does not return keys in order`)
      }
      previous = o.key
      yield o
    }
  }
}
