import type { S3Transport } from '../api/transport.ts'
import { IncompleteListingError } from '../storage/errors.ts'
import { compareKeys } from '../storage/keys.ts'
import { printableKey } from '../util/printable.ts'
import type { ListPage } from '../storage/list-xml.ts'

export type ListedObject = ListPage['objects'][number]

/**
 * The token of the next page, checked: one the server handed out before would list the same
 * page again, forever.
 */
export function advancingToken(truncated: boolean | undefined, next: string | undefined, previous: string | undefined, where: string): string | undefined {
  if (truncated && next === previous) throw new IncompleteListingError(`listing ${where} does not advance: the server sent the same continuation token twice`)
  return truncated ? next : undefined
}

/**
 * The folders (common prefixes) and loose keys directly under `prefix`, with delimiter '/',
 * page after page up to `maxPages`; `where` names the listing in errors.
 */
export async function listLevel(transport: S3Transport, bucket: string, prefix: string, o: { signal: AbortSignal; maxPages?: number; where: string }): Promise<{ keys: string[]; prefixes: string[] }> {
  const level = { keys: [] as string[], prefixes: [] as string[] }
  let token: string | undefined
  for (let page = 0; page < (o.maxPages ?? Infinity); page++) {
    const { keys, prefixes, truncated, nextToken } = await transport.listFolders({ bucket, prefix, token }, o.signal)
    level.keys.push(...keys)
    level.prefixes.push(...prefixes)
    token = advancingToken(truncated, nextToken, token, o.where)
    if (!token) break
  }
  return level
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
export async function* listPages(transport: S3Transport, bucket: string, prefix: string, options: ListOptions = {}): AsyncGenerator<ListedObject[]> {
  // Pages grow (100, 400, then the page size): copying starts with the first small page, and
  // the second arrives before the first is copied.
  const sizes = [options.firstPageSize ?? 100, Math.min(options.pageSize ?? 1000, 4 * (options.firstPageSize ?? 100))]
  const { through } = options
  let pages = 0
  const fetch = (token?: string) => {
    const page = transport.listPage({ bucket, prefix, token, maxKeys: sizes[pages++] ?? options.pageSize, startAfter: options.startAfter }, options.signal)
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
export async function* listObjects(transport: S3Transport, bucket: string, prefix: string, options: ListOptions = {}): AsyncGenerator<ListedObject> {
  for await (const page of listPages(transport, bucket, prefix, options)) yield* page
}

/** The planner's merge-join depends on key order: a server that breaks it is an error, not a silent mis-plan. */
export function checkOrder(previous: string | undefined, key: string, bucket: string) {
  if (previous !== undefined && compareKeys(previous, key) >= 0) {
    throw new Error(`s3://${bucket}/ listed ${printableKey(key)} after ${printableKey(previous)}: the server does not return keys in order`)
  }
}
