import { test } from 'node:test'
import assert from 'node:assert/strict'
import { diffListings, keyFilter, type LastCopies } from '../../src/plan/diff.ts'
import type { ListedObject } from '../../src/list/list.ts'

// Pages of one to three objects: the merge must not depend on where pages end.
async function* list(objects: ListedObject[]) {
  for (let i = 0; i < objects.length; ) {
    const n = 1 + (i % 3)
    yield objects.slice(i, i + n)
    i += n
  }
}
const md5 = (c: string) => `"${c.repeat(32)}"`
const plan = async (src: ListedObject[], dst: ListedObject[], o: { include?: string[]; exclude?: string[]; lastCopied?: LastCopies } = {}) => {
  const out = []
  for await (const i of diffListings(list(src), list(dst), { sourcePrefix: 'in/', destPrefix: 'out/', ...o })) out.push([i.key, i.destKey, i.action, i.reason])
  return out
}

test('merge-join rules: missing, size, ETag, unchanged, multipart same size', async () => {
  const src = [
    { key: 'in/a', size: 1, etag: md5('a') },
    { key: 'in/b', size: 2, etag: md5('b') },
    { key: 'in/c', size: 3, etag: md5('c') },
    { key: 'in/d', size: 4, etag: md5('d') },
    { key: 'in/e', size: 5, etag: '"abc-2"' },
  ]
  const dst = [
    { key: 'out/0-extra', size: 9, etag: md5('0') },
    { key: 'out/b', size: 3, etag: md5('b') },
    { key: 'out/c', size: 3, etag: md5('f') },
    { key: 'out/d', size: 4, etag: md5('d').toUpperCase() },
    { key: 'out/e', size: 5, etag: md5('e') },
    { key: 'out/z', size: 1, etag: md5('z') },
  ]
  assert.deepEqual(await plan(src, dst), [
    ['in/a', 'out/a', 'copy', 'missing'],
    ['in/b', 'out/b', 'copy', 'size-differs'],
    ['in/c', 'out/c', 'copy', 'etag-differs'],
    ['in/d', 'out/d', 'skip', 'unchanged'],
    ['in/e', 'out/e', 'skip', 'same-size'],
  ])
})

test('a destination whose ETags are not content hashes (SSE-KMS) is judged by LastModified: written after the source is unchanged, a later re-publish is copied', async () => {
  const at = (s: string) => Date.parse(`2026-12-0${s}T00:00:00Z`)
  const src = [
    { key: 'in/copied', size: 1, etag: md5('a'), modified: at('1') },
    { key: 'in/republished', size: 1, etag: md5('b'), modified: at('3') },
    { key: 'in/same-second', size: 1, etag: md5('c'), modified: at('2') },
  ]
  const dst = [
    { key: 'out/copied', size: 1, etag: md5('9'), modified: at('2') },
    { key: 'out/republished', size: 1, etag: md5('8'), modified: at('2') },
    { key: 'out/same-second', size: 1, etag: md5('7'), modified: at('2') },
  ]
  assert.deepEqual(await plan(src, dst, { lastCopied: { known: new Map(), opaqueDestination: true } }), [
    ['in/copied', 'out/copied', 'skip', 'written-after'],
    ['in/republished', 'out/republished', 'copy', 'etag-differs'],
    ['in/same-second', 'out/same-second', 'copy', 'etag-differs'],
  ])
  // A destination that keeps content ETags: a differing ETag is a difference, whatever the dates.
  assert.deepEqual((await plan(src, dst, { lastCopied: { known: new Map(), opaqueDestination: false } })).map((r) => r[3]), ['etag-differs', 'etag-differs', 'etag-differs'])
})

test('filters match keys relative to the source prefix', async () => {
  const src = ['in/x/1.zip', 'in/x/1.zip.CHECKSUM', 'in/y/2.zip'].map((key) => ({ key, size: 1, etag: md5('a') }))
  assert.deepEqual((await plan(src, [], { include: ['x/**'], exclude: ['**/*.CHECKSUM'] })).map((r) => r[0]), ['in/x/1.zip'])
})

test('filters match keys that hold a line break like any other key', () => {
  const selected = keyFilter(['odd/**', 'x/*.bin'], ['**/*.tmp'])
  assert.equal(selected('odd/line\nbreak.bin'), true)
  assert.equal(selected('x/carriage\rreturn.bin'), true)
  assert.equal(selected('odd/line\nbreak.tmp'), false)
  assert.equal(selected('other/line\nbreak.bin'), false)
})
