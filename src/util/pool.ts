import { Slots } from './slots.ts'

/**
 * Runs `fn` over `items` with at most `limit` in flight, taking the next item only when a slot
 * is free, so memory stays bounded and a slow item never blocks the others. The first error
 * stops it taking more items; the calls in flight finish before it is thrown (a multipart copy
 * may abort only once its part copies have ended). An abort stops it taking more, quietly.
 */
export async function forEachPool<T>(
  items: Iterable<T> | AsyncIterable<T>,
  limit: number,
  fn: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const it = (Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]()) as AsyncIterator<T> | Iterator<T>
  const slots = new Slots(Math.max(1, limit))
  let failed: unknown
  try {
    for (;;) {
      await slots.take()
      // The slot is held for the item about to be taken: given back if there is none (or the listing failed).
      const next = signal?.aborted || failed !== undefined ? undefined : await Promise.resolve(it.next()).catch((error) => (slots.give(), Promise.reject(error)))
      if (!next || next.done) return void slots.give()
      fn(next.value).catch((error) => void (failed ??= error)).finally(() => slots.give())
    }
  } finally {
    await slots.idle()
    if (failed !== undefined) throw failed
  }
}
