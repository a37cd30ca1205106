import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { ResolvedJob } from '../../src/api/config.ts'
import { EtagMemory } from '../../src/state/etag-memory.ts'

const job = (name: string) => ({ name, source: { bucket: 'src', prefix: 'data/' }, destination: { bucket: 'lake', prefix: 'raw/' } }) as ResolvedJob
const temp = () => mkdtemp(path.join(tmpdir(), 'lakesync-memory-'))

test('the memory keeps multipart ETags of copies across runs, the latest copy winning', async () => {
  const dir = await temp()
  try {
    const first = await EtagMemory.open(job('daily'), { write: true, dir })
    assert.equal(first.known.size, 0)
    first.remember('raw/big.bin', '"abc-2"')
    first.remember('raw/small.zip', '"0123456789abcdef0123456789abcdef"')
    await first.flush()
    const second = await EtagMemory.open(job('daily'), { write: true, dir })
    assert.deepEqual([...second.known], [['raw/big.bin', '"abc-2"']], 'single-part ETags are compared directly, not remembered')
    second.remember('raw/big.bin', '"def-3"')
    await second.flush()
    assert.equal((await EtagMemory.open(job('daily'), { write: true, dir })).known.get('raw/big.bin'), '"def-3"')
    assert.equal((await EtagMemory.open(job('weekly'), { write: true, dir })).known.size, 0, 'another job has its own memory')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('journals of an older lakesync are replayed once, for every job, into the memory files', async () => {
  const dir = await temp()
  try {
    await mkdir(path.join(dir, 'runs'))
    const header = (...names: string[]) => JSON.stringify({ type: 'run', jobs: names.map((name) => ({ name, source: { url: 's3://src/data/' }, destination: { url: 's3://lake/raw/' } })) })
    const copied = (name: string, destKey: string, etag: string) => JSON.stringify({ type: 'item', job: name, action: 'copied', destKey, etag })
    await writeFile(path.join(dir, 'runs', '2026-01-01.jsonl'), [header('daily'), copied('daily', 'raw/a.bin', '"old-2"'), ''].join('\n'))
    await writeFile(path.join(dir, 'runs', '2026-01-02.jsonl'), [header('daily', 'other'), copied('daily', 'raw/a.bin', '"new-2"'), copied('other', 'raw/b.bin', '"x-2"'), '{"type":"item","cut short'].join('\n'))
    await writeFile(path.join(dir, 'runs', '2026-01-03.jsonl'), '{"type":"run","jobs":[{"na') // killed while writing its header

    const dryRun = await EtagMemory.open(job('daily'), { write: false, dir })
    assert.deepEqual([...dryRun.known], [['raw/a.bin', '"new-2"']])
    assert.deepEqual(await readdir(dir), ['runs'], 'a dry run writes no memory')

    await EtagMemory.open(job('daily'), { write: true, dir })
    await rm(path.join(dir, 'runs'), { recursive: true })
    assert.deepEqual([...(await EtagMemory.open(job('daily'), { write: true, dir })).known], [['raw/a.bin', '"new-2"']], 'read from the memory files, not the journals')
    assert.deepEqual([...(await EtagMemory.open(job('other'), { write: true, dir })).known], [['raw/b.bin', '"x-2"']], 'every job of the journals was replayed')
    assert.equal((await EtagMemory.open(job('new'), { write: true, dir })).known.size, 0)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
