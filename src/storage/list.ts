import { ListObjectsV2Command, type ListObjectsV2CommandInput, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3'
import { compareKeys } from './keys.ts'
import { cutText, printableKey } from '../util/printable.ts'
import { decodeUrlKey, parseListBucketResult, type ListPage } from './list-xml.ts'

export type ListedObject = ListPage['objects'][number]

const EMPTY_RESULT = new TextEncoder().encode('<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>')

/**
 * A listing page that cannot be trusted to be complete: a body that is not a ListBucketResult,
 * or a truncated page without a continuation token. The SDK retries it (the `$retryable`
 * trait) like a 5xx; if it persists, the listing fails instead of ending early, since a
 * listing that ends early would make every later key look absent (and --delete delete it).
 */
export class IncompleteListingError extends Error {
  readonly $retryable = {}
  readonly code = 'IncompleteListing'
  constructor(message: string) {
    super(message)
    this.name = 'IncompleteListingError'
  }
}

const describeBody = (raw: Buffer) => {
  const text = raw.toString('utf8', 0, 200).replace(/\s+/g, ' ').trim()
  return text ? `a body that is not a ListBucketResult (${JSON.stringify(cutText(text, 60))}…)` : 'an empty body'
}

/**
 * Proves each page whole before it is used: the raw body must be a ListBucketResult (checked
 * as it arrives), and the parsed page must carry a token when it says more follow. Both checks
 * throw inside the SDK's retry loop.
 */
function addCompletenessChecks(command: { middlewareStack: ListObjectsV2Command['middlewareStack'] }, onRaw?: (raw: Buffer) => Uint8Array | undefined) {
  command.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args)
      const response = result.response as { statusCode?: number; body?: any }
      if (response.statusCode === 200) {
        const raw = response.body ? await readBody(response.body) : Buffer.alloc(0)
        if (!/<ListBucketResult[\s>]/.test(raw.toString('utf8', 0, 4096))) throw new IncompleteListingError(`the server answered a listing with ${describeBody(raw)}`)
        // A body cut short with clean framing (a server failing mid-stream ends its chunked body
        // cleanly) is no page, however many keys it holds: --delete would act on the missing ones.
        if (!/<\/(?:[A-Za-z_][\w.-]*:)?ListBucketResult>\s*$/.test(raw.toString('utf8', Math.max(0, raw.length - 256)))) throw new IncompleteListingError(`the server's listing page was cut short (${raw.length} bytes, no closing </ListBucketResult>)`)
        response.body = onRaw?.(raw) ?? new Uint8Array(raw)
      }
      return result
    },
    { step: 'deserialize', priority: 'low', name: 'lakesyncListingBody' },
  )
  command.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args)
      const output = result.output as ListObjectsV2CommandOutput
      if (output.IsTruncated && !output.NextContinuationToken) throw new IncompleteListingError('the server said the listing is truncated but sent no continuation token')
      return result
    },
    { step: 'deserialize', priority: 'high', name: 'lakesyncListingTruncation' },
  )
}

/**
 * The token of the next page, checked: one the server handed out before would list the same
 * page again, forever.
 */
export function advancingToken(truncated: boolean | undefined, next: string | undefined, previous: string | undefined, where: string): string | undefined {
  if (truncated && next === previous) throw new IncompleteListingError(`listing ${where} does not advance: the server sent the same continuation token twice`)
  return truncated ? next : undefined
}

/** A delimiter listing (SDK-parsed), checked like every other page. */
export function checkedListCommand(input: ListObjectsV2CommandInput): ListObjectsV2Command {
  const command = new ListObjectsV2Command({ ...input, EncodingType: 'url' })
  addCompletenessChecks(command)
  return command
}

/**
 * The folders (common prefixes) and loose keys directly under `prefix`, with delimiter '/',
 * page after page up to `maxPages`; `where` names the listing in errors.
 */
export async function listLevel(client: S3Client, bucket: string, prefix: string, o: { signal: AbortSignal; maxPages?: number; where: string }): Promise<{ keys: string[]; prefixes: string[] }> {
  const level = { keys: [] as string[], prefixes: [] as string[] }
  let token: string | undefined
  for (let page = 0; page < (o.maxPages ?? Infinity); page++) {
    const output = await client.send(checkedListCommand({ Bucket: bucket, Prefix: prefix || undefined, Delimiter: '/', ContinuationToken: token }), { abortSignal: o.signal })
    const { keys, prefixes } = decodedOutput(output)
    level.keys.push(...keys)
    level.prefixes.push(...prefixes)
    token = advancingToken(output.IsTruncated, output.NextContinuationToken, token, o.where)
    if (!token) break
  }
  return level
}

/** Keys and prefixes of an SDK-parsed page, url-decoded when the server encoded them. */
export function decodedOutput(output: ListObjectsV2CommandOutput): { keys: string[]; prefixes: string[] } {
  const decode = (s: string) => (output.EncodingType === 'url' ? decodeUrlKey(s) : s)
  return { keys: (output.Contents ?? []).map((o) => decode(o.Key!)), prefixes: (output.CommonPrefixes ?? []).map((p) => decode(p.Prefix!)) }
}

/**
 * One ListObjectsV2 page (no delimiter), read by the fast reader of list-xml.ts: a middleware
 * on this command alone takes the raw body and leaves the SDK an empty result to parse.
 * Keys are asked url-encoded (a raw CR in XML would come back as a newline) and decoded here.
 * Errors, retries and signing stay the SDK's.
 */
export async function listPage(client: S3Client, input: Omit<ListObjectsV2CommandInput, 'Delimiter'>, signal?: AbortSignal): Promise<ListPage> {
  const command = new ListObjectsV2Command({ ...input, EncodingType: 'url' })
  let fast: ListPage | undefined
  addCompletenessChecks(command, (raw) => {
    fast = parseListBucketResult(raw) // each attempt reads its own body
    return fast ? EMPTY_RESULT : undefined
  })
  const output = await client.send(command, { abortSignal: signal })
  if (fast) return fast
  const { keys } = decodedOutput(output)
  return {
    objects: (output.Contents ?? []).map((o, i) => ({ key: keys[i]!, size: o.Size ?? 0, etag: o.ETag ?? '', ...(o.LastModified ? { modified: o.LastModified.getTime() } : {}) })),
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

export interface ListOptions {
  signal?: AbortSignal
  pageSize?: number
  firstPageSize?: number
  /** List from just after this key. */
  startAfter?: string
  /** List up to this key (included). */
  through?: string
  /** Ask for the next page while this one is consumed (default); off, a page is asked when wanted. */
  prefetch?: boolean
}

/**
 * Streams a prefix one ListObjectsV2 page at a time, in key order; by default the next page is
 * requested while this one is consumed, so at most two pages are held. Throws if the server
 * breaks key order, since the planner's merge-join depends on it.
 */
export async function* listPages(client: S3Client, bucket: string, prefix: string, options: ListOptions = {}): AsyncGenerator<ListedObject[]> {
  // Pages grow (100, 400, then the page size): copying starts with the first small page, and
  // the second arrives before the first is copied.
  const sizes = [options.firstPageSize ?? 100, Math.min(options.pageSize ?? 1000, 4 * (options.firstPageSize ?? 100))]
  const { through } = options
  let pages = 0
  const fetch = (token?: string) => {
    const page = listPage(client, { Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token, MaxKeys: sizes[pages++] ?? options.pageSize, StartAfter: options.startAfter }, options.signal)
    page.catch(() => {}) // rethrown when awaited
    return page
  }
  let previous: string | undefined
  let token: string | undefined
  let next: Promise<ListPage> | undefined = fetch()
  while (next) {
    const page: ListPage = await next
    token = advancingToken(page.truncated, page.nextToken, token, `s3://${bucket}/${prefix}`)
    // A range that ends in this page needs no next one.
    const last = page.objects.at(-1)?.key
    if (through !== undefined && last !== undefined && compareKeys(last, through) > 0) token = undefined
    next = token !== undefined && options.prefetch !== false ? fetch(token) : undefined
    const kept: ListedObject[] = []
    for (const o of page.objects) {
      checkOrder(previous, o.key, bucket)
      previous = o.key
      if (through !== undefined && compareKeys(o.key, through) > 0) break
      kept.push(o)
    }
    if (kept.length) yield kept
    if (token !== undefined && !next) next = fetch(token)
  }
}

/** A prefix's keys one by one (see listPages). */
export async function* listObjects(client: S3Client, bucket: string, prefix: string, options: ListOptions = {}): AsyncGenerator<ListedObject> {
  for await (const page of listPages(client, bucket, prefix, options)) yield* page
}

/** The planner's merge-join depends on key order: a server that breaks it is an error, not a silent mis-plan. */
export function checkOrder(previous: string | undefined, key: string, bucket: string) {
  if (previous !== undefined && compareKeys(previous, key) >= 0) {
    throw new Error(`s3://${bucket}/ listed ${printableKey(key)} after ${printableKey(previous)}: the server does not return keys in order`)
  }
}
