import picomatch from 'picomatch'
import { compareKeys } from '../storage/keys.ts'
import { sameEtag, singlePart } from '../storage/etags.ts'
import type { ListedObject } from '../list/list.ts'
import { PageCursor } from '../list/page-cursor.ts'
import { ConfigError } from '../api/errors.ts'
import { printableKey } from '../util/printable.ts'

import type { CopyReason, PlanItem, SkipReason } from '../api/items.ts'

export interface DiffOptions {
  /** Removed from a source key before it is placed under `destPrefix` (and matched by the filters). */
  sourcePrefix: string
  destPrefix: string
  include?: string[]
  exclude?: string[]
  /** Rewrites the relative key. Order is then not kept: the mapped source is held, and the destination streamed past it. */
  mapKey?: (relativeKey: string) => string
  /** Also yield destination objects that no source object maps to (and that the filters select). */
  extras?: boolean
  /** What earlier runs learned (src/state/etag-memory.ts); read while the listings start. */
  lastCopied?: LastCopies | Promise<LastCopies>
}

/** What earlier runs of a job learned about its copies. */
export interface LastCopies {
  /** The source ETag each destination key was last copied from, for multipart source ETags. */
  readonly known: ReadonlyMap<string, string>
  /**
   * The destination answers ETags that are not the MD5 of the bytes (SSE-KMS, SSE-C), as a
   * copy showed: its ETags say nothing about content, its LastModified does.
   */
  readonly opaqueDestination: boolean
}

/**
 * Merge-joins two key-ordered listings (a page at a time) into a plan, one item per source
 * object that passes the filters. Neither listing is held in memory: each side advances one
 * page at a time.
 */
export async function* diffListings(
  source: AsyncIterable<ListedObject[]>,
  destination: AsyncIterable<ListedObject[]>,
  options: DiffOptions,
): AsyncGenerator<PlanItem> {
  if (options.mapKey) {
    yield* diffMapped(source, destination, options, options.mapKey)
    return
  }
  const selected = keyFilter(options.include ?? [], options.exclude ?? [])
  const src = new PageCursor(source)
  const dest = new PageCursor(destination)
  // Both listings start at once; a source problem is reported before a destination one.
  const [first, firstDest, memory] = await Promise.allSettled([src.ready(), dest.ready(), options.lastCopied])
  if (first.status === 'rejected') throw first.reason
  if (firstDest.status === 'rejected') throw firstDest.reason
  if (memory.status === 'rejected') throw memory.reason
  const lastCopied = memory.value
  const destRel = (d: ListedObject) => d.key.slice(options.destPrefix.length)
  // Destination objects passed over without a source match; excluded keys are never extras.
  const extra = (o: ListedObject): PlanItem | undefined =>
    options.extras && selected(o.key.slice(options.destPrefix.length))
      ? { action: 'delete', key: o.key, destKey: o.key, size: o.size, etag: o.etag, reason: 'absent-at-source' }
      : undefined
  for (let s = src.value; s; s = src.step() ? src.value : (await src.ready(), src.value)) {
    const rel = s.key.slice(options.sourcePrefix.length)
    if (!selected(rel)) continue
    let d = dest.value
    while (d && compareKeys(destRel(d), rel) < 0) {
      const x = extra(d)
      if (x) yield x
      if (!dest.step()) await dest.ready()
      d = dest.value
    }
    const match = d && destRel(d) === rel ? d : undefined
    yield decide(s, options.destPrefix + rel, match, lastCopied)
    if (match && !dest.step()) await dest.ready()
  }
  for (let d = dest.value; d; d = dest.step() ? dest.value : (await dest.ready(), dest.value)) {
    const x = extra(d)
    if (x) yield x
  }
  await dest.close()
}

/**
 * With a key mapping the two orders differ: map every source key first, then stream the
 * destination and look each of its keys up. Only the source side is held (its mapped keys);
 * the whole source is mapped before the first item leaves, so a keyMap that sends two source
 * keys to one destination key (or returns no key) stops the job before any copy.
 */
async function* diffMapped(source: AsyncIterable<ListedObject[]>, destination: AsyncIterable<ListedObject[]>, options: DiffOptions, mapKey: (k: string) => string): AsyncGenerator<PlanItem> {
  const mapped = await mapSource(source, options, mapKey)
  yield* planMapped(mapped, destination, await options.lastCopied)
}

/** Source objects by the destination key the keyMap gives them; a collision or a bad key is a ConfigError. */
export async function mapSource(source: AsyncIterable<ListedObject[]> | Iterable<ListedObject[]>, options: Pick<DiffOptions, 'sourcePrefix' | 'destPrefix' | 'include' | 'exclude'>, mapKey: (k: string) => string, taken?: Map<string, ListedObject>): Promise<Map<string, ListedObject>> {
  const selected = keyFilter(options.include ?? [], options.exclude ?? [])
  const mapped = new Map<string, ListedObject>()
  const collisions: string[] = [] // the first ten, named; the rest counted
  let collided = 0
  for await (const page of source) {
    for (const s of page) {
      const rel = s.key.slice(options.sourcePrefix.length)
      if (!selected(rel)) continue
      const destKey = options.destPrefix + mappedKey(mapKey, rel)
      const first = mapped.get(destKey) ?? taken?.get(destKey)
      if (!first) mapped.set(destKey, s)
      else if (++collided <= 10) collisions.push(`keyMap maps ${printableKey(first.key)} and ${printableKey(s.key)} both to ${printableKey(destKey)}`)
    }
  }
  if (collided) {
    const more = collided > 10 ? [`… and ${collided - 10} more collisions`] : []
    throw new ConfigError([...collisions, ...more], 'give each source key its own destination key; nothing was copied')
  }
  return mapped
}

/** Decides each mapped source object against the destination objects streamed past it. */
export async function* planMapped(mapped: Map<string, ListedObject>, destination: AsyncIterable<ListedObject[]>, lastCopied?: LastCopies): AsyncGenerator<PlanItem> {
  const found = new Map<string, ListedObject>()
  for await (const page of destination) for (const d of page) if (mapped.has(d.key)) found.set(d.key, d)
  for (const [destKey, s] of mapped) yield decide(s, destKey, found.get(destKey), lastCopied)
}

/** The keyMap's answer for one key, which must be a non-empty string. */
function mappedKey(mapKey: (k: string) => string, rel: string): string {
  let result: unknown
  try {
    result = mapKey(rel)
  } catch (error) {
    throw new ConfigError([`keyMap threw on key ${printableKey(rel)}: ${error instanceof Error ? error.message : String(error)}`], 'fix the keyMap function; nothing was copied')
  }
  if (typeof result === 'string' && result !== '') return result
  const got = result instanceof Promise || typeof (result as any)?.then === 'function' ? 'a Promise (async keyMaps are not supported)' : JSON.stringify(result) ?? String(result)
  throw new ConfigError([`keyMap returned ${got} for key ${printableKey(rel)}; it must return a non-empty string`], 'fix the keyMap function; nothing was copied')
}

/**
 * The rules: missing → copy; size differs → copy; single-part ETags differ → copy, unless the
 * destination's ETags are not content hashes and it was written after the source last changed;
 * a multipart source ETag other than the one recorded at the last copy (src/state/etag-memory.ts)
 * → copy; else skip.
 */
function decide(s: ListedObject, destKey: string, other: ListedObject | undefined, lastCopied?: LastCopies): PlanItem {
  const item = (action: 'copy' | 'skip', reason: CopyReason | SkipReason) => ({ action, reason, key: s.key, destKey, size: s.size, etag: s.etag }) as PlanItem
  if (!other) return item('copy', 'missing')
  if (other.size !== s.size) return item('copy', 'size-differs')
  if (singlePart(s.etag) && singlePart(other.etag)) {
    if (sameEtag(other.etag, s.etag)) return item('skip', 'unchanged')
    // Strictly later: a re-publish in the second of the copy is copied again rather than missed.
    return lastCopied?.opaqueDestination && writtenAfter(other, s) ? item('skip', 'written-after') : item('copy', 'etag-differs')
  }
  const remembered = lastCopied?.known.get(destKey)
  if (remembered) return sameEtag(remembered, s.etag) ? item('skip', 'unchanged-journal') : item('copy', 'republished')
  return item('skip', 'same-size')
}

const writtenAfter = (dest: ListedObject, source: ListedObject) => dest.modified !== undefined && source.modified !== undefined && dest.modified > source.modified

export function keyFilter(include: string[], exclude: string[]): (relativeKey: string) => boolean {
  if (!include.length && !exclude.length) return () => true
  const opts = { dot: true }
  const inc = include.length ? picomatch(include, opts) : () => true
  const exc = exclude.length ? picomatch(exclude, opts) : () => false
  // picomatch's wildcards stop at a line break; a key may hold one, and `*` must match it.
  const matchable = (key: string) => (/[\n\r]/.test(key) ? key.replace(/[\n\r]/g, '\u0001') : key)
  return (key) => inc(matchable(key)) && !exc(matchable(key))
}
