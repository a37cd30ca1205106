/**
 * Runs `fn` over `items` with at most `limit` in flight: N workers pull from one iterator, so
 * memory stays bounded and a slow item never blocks the others. The first error stops the
 * workers from taking more items (those in flight finish) and is thrown.
 */
export async function forEachPool<T>(
  items: Iterable<T> | AsyncIterable<T>,
  limit: number,
  fn: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const it = (Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]()) as
    | AsyncIterator<T>
    | Iterator<T>
  let failed: unknown
  const worker = async () => {
    while (!signal?.aborted && failed === undefined) {
      const next = await it.next()
      if (next.done) return
      try {
        await fn(next.value)
      } catch (error) {
        failed ??= error
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker))
  if (failed !== undefined) throw failed
}
