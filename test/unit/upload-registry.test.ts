import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import path from 'node:path'
import { thisProcess } from '../../src/state/process-identity.ts'
import { UploadRegistry } from '../../src/state/upload-registry.ts'
import type { ResolvedJob } from '../../src/api/config.ts'

const job = { name: 'j', source: { bucket: 's', prefix: 'p/' }, destination: { bucket: 'd', prefix: 'q/' } } as unknown as ResolvedJob

test('leftover uploads: a dead run\'s and another host\'s (this run holds the lock) are aborted, a live run\'s beside this one is left alone, finished ones are forgotten', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lakesync-uploads-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const registry = await UploadRegistry.open(job, dir)
  const line = (o: object) => JSON.stringify(o) + '\n'
  await writeFile(registry.file!, [
    line({ op: 'open', key: 'q/dead.bin', uploadId: 'u-dead', pid: 2 ** 22 + 12345, host: hostname() }),
    line({ op: 'open', key: 'q/live.bin', uploadId: 'u-live', ...thisProcess(), pid: process.ppid, startTicks: (await readFile(`/proc/${process.ppid}/stat`, 'utf8')).split(') ')[1]!.split(' ')[19] }),
    line({ op: 'open', key: 'q/elsewhere.bin', uploadId: 'u-elsewhere', ...thisProcess(), host: 'lakesync-daily-28911-2-abcde', pid: 1 }),
    line({ op: 'open', key: 'q/done.bin', uploadId: 'u-done', pid: 2 ** 22 + 12345, host: hostname() }),
    line({ op: 'done', uploadId: 'u-done' }),
    '{"op":"open","key":"q/cut', // a line a kill cut short
  ].join(''))
  const sent: { Key?: string; UploadId?: string }[] = []
  const transport = { abortMultipart: async (_bucket: string, Key: string, UploadId: string) => void sent.push({ Key, UploadId }) }
  const result = await registry.abortLeftovers(transport as any, 'd', new AbortController().signal)
  assert.deepEqual(sent.map((s) => [s.Key, s.UploadId]), [['q/dead.bin', 'u-dead'], ['q/elsewhere.bin', 'u-elsewhere']])
  assert.deepEqual(result, { aborted: 2, kept: 1 })
  assert.match(await readFile(registry.file!, 'utf8'), /u-live/, 'the live run\'s upload stays listed')
  assert.doesNotMatch(await readFile(registry.file!, 'utf8'), /u-dead|u-done|u-elsewhere/)
})
