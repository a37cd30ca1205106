// Parallel listing of a prefix against a fake bucket with ListObjectsV2's semantics (prefix,
// delimiter '/', a page limit): the merged stream must equal one sequential listing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { S3Transport } from '../../src/api/transport.ts'
import { listPrefix, s3Lister, splitPoints, thinByFirstPages, type Lister } from '../../src/list/list-parallel.ts'
import { compareKeys } from '../../src/storage/keys.ts'

function fakeBucket(keys: string[], levelLimit: number, calls: { level: number; list: number }, seed = 1): Lister {
  // Page cuts from a seeded generator: a failing case cuts its pages the same way when run again.
  let state = seed
  const pageEnds = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) < 0.4
  const sorted = [...new Set(keys)].sort(compareKeys)
  const object = (key: string) => ({ key, size: key.length, etag: '"e"' })
  return {
    async level(prefix) {
      calls.level++
      const entries = new Set<string>()
      for (const k of sorted) {
        if (!k.startsWith(prefix)) continue
        const slash = k.indexOf('/', prefix.length)
        entries.add(slash === -1 ? k : k.slice(0, slash + 1))
      }
      // A level too big for the pages read gives only its first entries.
      return [...entries].sort(compareKeys).slice(0, levelLimit)
    },
    // A server may answer fewer keys than asked: this one answers at most levelLimit.
    async page(prefix, maxKeys, after) {
      calls.list++
      const under = sorted.filter((k) => k.startsWith(prefix) && (after === undefined || compareKeys(k, after) > 0))
      const size = Math.min(maxKeys, levelLimit)
      return { objects: under.slice(0, size).map(object), truncated: under.length > size }
    },
    async *pages(prefix, range) {
      calls.list++
      let page: { key: string; size: number; etag: string }[] = []
      for (const k of sorted) {
        if (!k.startsWith(prefix)) continue
        if (range.after !== undefined && compareKeys(k, range.after) <= 0) continue
        if (range.through !== undefined && compareKeys(k, range.through) > 0) break
        page.push(object(k))
        // Pages of a few keys, arriving at their own pace: readers interleave as the seed has it.
        if (pageEnds()) {
          await new Promise((r) => setImmediate(r))
          yield page
          page = []
        }
      }
      if (page.length) yield page
    },
  }
}

const ATOMS = ['a', 'b', 'z', '/', '//', 'é', '😀', '\uE000', '\uFFFD', ' ', '+', '%', '#', '?', 'x/y/', '0', '.']

function randomKeys(random: () => number): string[] {
  const n = Math.floor(random() * 60)
  const keys: string[] = []
  for (let i = 0; i < n; i++) {
    let k = ''
    const len = 1 + Math.floor(random() * 6)
    for (let j = 0; j < len; j++) k += ATOMS[Math.floor(random() * ATOMS.length)]
    keys.push(k)
  }
  // Keys equal to a folder's prefix, folder markers and runs of slashes.
  if (random() < 0.5) keys.push('a/', 'a/b', 'a//', 'a', 'a.', 'a0')
  return keys
}

test('a prefix listed in parallel parts equals its sequential listing (unicode, "/" runs, empty parts, keys equal to a part\'s prefix)', async () => {
  let state = 7
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  for (let round = 0; round < 300; round++) {
    const keys = randomKeys(random)
    const prefix = ['', 'a/', 'x/', 'zz/'][round % 4]!
    const calls = { level: 0, list: 0 }
    const bucket = fakeBucket(keys, 1 + Math.floor(random() * 12), calls, round + 1)
    const sequential: string[] = []
    for await (const page of bucket.pages(prefix, {})) for (const o of page) sequential.push(o.key)
    const concurrency = [1, 2, 3, 8, 32][round % 5]!
    const bufferPages = [1, 3, 50][round % 3]!
    const parallel: string[] = []
    for await (const page of listPrefix(bucket, prefix, { concurrency, bufferPages })) for (const o of page) parallel.push(o.key)
    assert.deepEqual(parallel, sequential, `round ${round}: prefix ${JSON.stringify(prefix)}, concurrency ${concurrency}, keys ${JSON.stringify(keys)}`)
    // From any key on, too.
    const after = sequential[Math.floor(random() * sequential.length)]
    const rest: string[] = []
    for await (const page of listPrefix(bucket, prefix, { concurrency, bufferPages, span: after !== undefined ? { after } : {} })) for (const o of page) rest.push(o.key)
    assert.deepEqual(rest, after === undefined ? sequential : sequential.slice(sequential.indexOf(after) + 1), `round ${round}: after ${JSON.stringify(after)}`)
    // A shard's span: after one key (or a folder), through another.
    const bounds = [sequential[Math.floor(random() * sequential.length)], ...keys.filter((k) => k.endsWith('/')).slice(0, 1)].filter((k) => k !== undefined).sort(compareKeys)
    const [from, through] = bounds.length > 1 ? bounds : [undefined, bounds[0]]
    const span: string[] = []
    for await (const page of listPrefix(bucket, prefix, { concurrency, bufferPages, span: { ...(from !== undefined ? { after: from } : {}), ...(through !== undefined ? { through } : {}) } })) for (const o of page) span.push(o.key)
    const expected = sequential.filter((k) => (from === undefined || compareKeys(k, from) > 0) && (through === undefined || compareKeys(k, through) <= 0))
    assert.deepEqual(span, expected, `round ${round}: span after ${JSON.stringify(from)} through ${JSON.stringify(through)}`)
  }
})

test('cuts within a span read only the folders that reach into it', async () => {
  const keys = Array.from({ length: 8 }, (_, f) => Array.from({ length: 10 }, (_, i) => `data/f${f}/k${i}`)).flat()
  const calls = { level: 0, list: 0 }
  const cuts = await splitPoints(fakeBucket(keys, 1000, calls), 'data/', 8, { after: 'data/f2/', through: 'data/f4/' })
  assert.ok(cuts.every((c) => compareKeys(c, 'data/f2/') > 0 && compareKeys(c, 'data/f4/') < 0), `cuts inside the span: ${cuts}`)
  assert.ok(cuts.some((c) => c.startsWith('data/f3/')), 'it descends into the one folder wholly inside')
  // data/ once, then the folders reaching into (f2/, f4/]: f2/ (its keys follow its name) and f3/; f4/'s keys all follow f4/.
  assert.equal(calls.level, 3, 'no delimiter request for the folders outside the span')
})

test('the cuts: about the parts wanted, evenly spread, found with one delimiter request per folder expanded', async () => {
  const keys = Array.from({ length: 40 }, (_, i) => `data/s${String(i).padStart(2, '0')}/f.zip`)
  const calls = { level: 0, list: 0 }
  const cuts = await splitPoints(fakeBucket(keys, 1000, calls), 'data/', 8)
  assert.deepEqual(cuts, ['data/s05/', 'data/s10/', 'data/s15/', 'data/s20/', 'data/s25/', 'data/s30/', 'data/s35/'])
  assert.equal(calls.level, 1, 'one delimiter request found 40 folders')
  // One folder per level: the search descends (data/ → spot/ → daily/ → klines/ → the symbols).
  const deep = Array.from({ length: 10 }, (_, i) => `data/spot/daily/klines/S${i}/f.zip`)
  const deepCalls = { level: 0, list: 0 }
  const deepCuts = await splitPoints(fakeBucket(deep, 1000, deepCalls), 'data/', 4)
  assert.deepEqual(deepCuts, ['data/spot/daily/klines/S2/', 'data/spot/daily/klines/S5/', 'data/spot/daily/klines/S7/'], 'the folders on the way down cut off nothing: the cuts are symbols')
  assert.equal(deepCalls.level, 4)
  // Two parts want one cut: data/spot/ alone would leave the first part empty.
  assert.deepEqual(await splitPoints(fakeBucket(deep, 1000, { level: 0, list: 0 }), 'data/', 2), ['data/spot/daily/klines/S5/'])
})

test('an error in a part ahead surfaces when the stream reaches it', async () => {
  const good = fakeBucket(['a/1', 'b/1', 'c/1'], 1000, { level: 0, list: 0 })
  const failing: Lister = {
    level: good.level,
    page: good.page,
    async *pages(prefix, range) {
      if (range.after === 'b/') throw new Error('listing after b/ failed')
      yield* good.pages(prefix, range)
    },
  }
  const seen: string[] = []
  await assert.rejects(async () => {
    for await (const page of listPrefix(failing, '', { concurrency: 3, span: {} })) for (const o of page) seen.push(o.key)
  }, /listing after b\/ failed/)
  assert.deepEqual(seen, ['a/1'])
})

test('a prefix a few pages long is listed as one range after its first two pages; a large one keeps its ranges', async () => {
  const folders = (n: number, keys: number) => Array.from({ length: n }, (_, f) => Array.from({ length: keys }, (_, i) => `data/f${String(f).padStart(3, '0')}/k${String(i).padStart(5, '0')}`)).flat()
  const listed = async (keys: string[]) => {
    const calls = { level: 0, list: 0 }
    const out: string[] = []
    for await (const page of listPrefix(fakeBucket(keys, 1000, calls), 'data/', { concurrency: 32 })) for (const o of page) out.push(o.key)
    assert.deepEqual(out, keys)
    return calls
  }
  // 3,000 keys: the first pages (200, then 1,000 keys) crossed 11 folder cuts, so the 18 folders
  // left are one range, not 18.
  assert.deepEqual(await listed(folders(30, 100)), { level: 1, list: 3 })
  // The first page is small: copies start while the server lists the next 1,000.
  const sizes: number[] = []
  const bucket = fakeBucket(folders(30, 100), 1000, { level: 0, list: 0 })
  const asked: Lister = { ...bucket, page: (prefix, maxKeys, after) => (sizes.push(maxKeys), bucket.page(prefix, maxKeys, after)) }
  for await (const page of listPrefix(asked, 'data/', { concurrency: 32 })) void page
  assert.deepEqual(sizes, [200, 1000])
  // 200 folders of 1,000: 31 cuts spread evenly (every ~6,000 keys), none among the first pages: 32 ranges.
  assert.deepEqual(await listed(folders(200, 1000)), { level: 1, list: 2 + 32 })
  // 20 folders of 10,000: the first pages crossed none, so each folder after them is its own range
  // (and one from their end up to data/f01/).
  assert.deepEqual(await listed(folders(20, 10_000)), { level: 1, list: 2 + 20 })
})

test('thinning by the first pages: ranges merged to about 5,000 keys by its density; cuts at its own start say nothing', () => {
  const cuts = Array.from({ length: 100 }, (_, f) => `data/f${String(f).padStart(2, '0')}/`)
  // One cut among 1,000 keys: ~1,000 keys a range, so every 5th cut after the page stays.
  const thinned = thinByFirstPages(cuts, { first: 'data/f00/k0000', last: 'data/f01/k0499', keys: 1000 })
  assert.deepEqual(thinned.slice(0, 3), ['data/f06/', 'data/f11/', 'data/f16/'])
  assert.equal(thinned.length, 19)
  // The page's own folder (data/f00/, before its first key) is no evidence of density.
  assert.deepEqual(thinByFirstPages(cuts, { first: 'data/f00/k0000', last: 'data/f00/k0999', keys: 1000 }), cuts.slice(1))
})

test('an empty page that says more follow is not taken as the end: its token leads on, but never twice to the same page', async () => {
  // A fake client at the SDK seam: what ListObjectsV2 answers for each continuation token.
  const answers = (pages: Record<string, { keys: string[]; next?: string }>) => ({
    async listPage(input: { token?: string }) {
      const a = pages[input.token ?? '']!
      return { objects: a.keys.map((key) => ({ key, size: 1, etag: '"e"' })), truncated: a.next !== undefined, ...(a.next ? { nextToken: a.next } : {}) }
    },
  }) as unknown as S3Transport
  const lister = s3Lister(answers({ '': { keys: [], next: 't1' }, t1: { keys: [], next: 't2' }, t2: { keys: ['data/a', 'data/b'] } }), 'b', new AbortController().signal)
  assert.deepEqual(await lister.page('data/', 200), { objects: [{ key: 'data/a', size: 1, etag: '"e"' }, { key: 'data/b', size: 1, etag: '"e"' }], truncated: false })
  const stuck = s3Lister(answers({ '': { keys: [], next: 't1' }, t1: { keys: [], next: 't1' } }), 'b', new AbortController().signal)
  await assert.rejects(stuck.page('data/', 200), /does not advance: the server sent the same continuation token twice/)
})
