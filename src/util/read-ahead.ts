/**
 * Reads `source` ahead of its consumer, holding at most about `max` items: a plan is listed to
 * its end (and its total known) while the copies of its beginning still run, for any plan
 * that fits. `onItem` sees each item as it is read, `onEnd` the end of the source. An error of
 * the source reaches the consumer after the items read before it.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, max: number, hooks: { onItem?(item: T): void; onEnd?(): void } = {}): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]()
  let queue: T[] = []
  let ended = false
  let failed: { error: unknown } | undefined
  let stopped = false
  let wakeConsumer: (() => void) | undefined
  let wakeReader: (() => void) | undefined
  const reading = (async () => {
    try {
      while (!stopped) {
        while (queue.length >= max && !stopped) await new Promise<void>((r) => (wakeReader = r))
        if (stopped) break
        const r = await it.next()
        if (r.done) {
          hooks.onEnd?.()
          break
        }
        hooks.onItem?.(r.value)
        queue.push(r.value)
        wakeConsumer?.()
      }
    } catch (error) {
      failed = { error }
    }
    ended = true
    wakeConsumer?.()
  })()
  try {
    for (;;) {
      if (queue.length) {
        const batch = queue
        queue = []
        wakeReader?.()
        yield* batch
        continue
      }
      if (failed) throw failed.error
      if (ended) return
      await new Promise<void>((r) => (wakeConsumer = r))
      wakeConsumer = undefined
    }
  } finally {
    // Not awaited: a source stuck on a request that never answers must not hold the consumer.
    stopped = true
    wakeReader?.()
    void reading.then(() => it.return?.()).catch(() => {})
  }
}
