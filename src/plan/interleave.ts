import { pMapIterable } from 'p-map'

/**
 * Items of several parts taken in turn, one from each of up to `width` parts at a time: a
 * backfill's copies spread over as many lanes of series folders, and so over S3's partitions,
 * instead of one folder's keys after another's. A part that ends makes room for the
 * next. Each part's own order is kept; the parts' relative order is not.
 */
export async function* interleave<T>(parts: AsyncIterable<Iterable<T> | AsyncIterable<T>>, width: number): AsyncGenerator<T> {
  const source = parts[Symbol.asyncIterator]()
  // Each open part with its next item already asked for: a part that plans (lists) before its
  // first item starts at once, not when the turn first reaches it.
  const open: { part: Iterator<T> | AsyncIterator<T>; next: Promise<IteratorResult<T>> }[] = []
  const nextPart = async () => {
    const next = await source.next()
    if (next.done) return undefined
    const part = Symbol.asyncIterator in next.value ? next.value[Symbol.asyncIterator]() : next.value[Symbol.iterator]()
    return { part, next: ask(part) }
  }
  try {
    for (let slot; open.length < Math.max(1, width) && (slot = await nextPart()); ) open.push(slot)
    for (let i = 0; open.length; i = (i + 1) % Math.max(1, open.length)) {
      let step = await open[i]!.next
      // An ended part's place goes to the next part, so the turn order holds.
      while (step.done) {
        const slot = await nextPart()
        if (!slot) break
        open[i] = slot
        step = await slot.next
      }
      if (step.done) {
        open.splice(i--, 1)
        continue
      }
      open[i]!.next = ask(open[i]!.part)
      yield step.value
    }
  } finally {
    // A consumer that stops early (an interrupt) ends the parts still open, and their listings.
    await Promise.allSettled(open.map((o) => o.part.return?.()))
    await source.return?.()
  }
}

/** A part's next item, asked for now; a failure is the consumer's when it takes it (not unhandled if it never does). */
function ask<T>(part: Iterator<T> | AsyncIterator<T>): Promise<IteratorResult<T>> {
  const next = Promise.resolve(part.next())
  next.catch(() => {})
  return next
}

/** Where each of `count` lanes of neighbours begins in a list of `length`, and where the last ends: sizes differ by one at most. */
export const laneStarts = (length: number, count: number) => Array.from({ length: count + 1 }, (_, k) => Math.floor((k * length) / count))

/**
 * The items `plan` makes of each of `list`, `ahead` planned at once: in list order with one lane,
 * else with the list cut into `lanes` lanes of neighbours, each planned in order, and their items
 * taken in turn. A lane keeps its place in the turn until it ends, whatever its parts' sizes, so
 * the items in flight stay spread over the whole list. `plan` gets each one's index in `list`.
 */
export async function* inLanes<T, R>(list: readonly T[], lanes: number, ahead: number, plan: (x: T, index: number) => Promise<R[]>): AsyncGenerator<R> {
  const starts = laneStarts(list.length, lanes)
  const width = Math.ceil(ahead / lanes)
  async function* lane(k: number) {
    const own = list.slice(starts[k], starts[k + 1])
    for await (const items of pMapIterable(own, (x, j) => plan(x, starts[k]! + j), { concurrency: width, backpressure: width })) yield* items
  }
  async function* all() {
    for (let k = 0; k < lanes; k++) yield lane(k)
  }
  yield* interleave(all(), lanes)
}
