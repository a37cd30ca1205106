import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { startS3Server, serverKinds, type S3TestServer } from '../helpers/s3-server.ts'
import { runCli } from '../helpers/cli.ts'
import { put, snapshot } from '../helpers/buckets.ts'
import type { LakesyncEvent } from '../../src/api/events.ts'

const items = (stdout: string) => stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LakesyncEvent).filter((e): e is Extract<LakesyncEvent, { type: 'item' }> => e.type === 'item')

for (const kind of serverKinds()) {
  describe(`sync --delete on ${kind}`, { concurrency: false }, () => {
    let server: S3TestServer
    before(async () => {
      server = await startS3Server(kind, { buckets: ['src-bucket', 'dst-bucket'] })
      const client = server.client()
      for (const k of ['a.zip', 'b.zip', 'c.zip']) await put(client, 'src-bucket', `data/${k}`, k)
      for (const k of ['a.zip', 'b.zip', 'c.zip']) await put(client, 'dst-bucket', `mirror/${k}`, k)
      // Absent at the source: three the job owns, two its filters exclude.
      for (const k of ['old-1.zip', 'old-2.zip', 'zz-old-3.zip', 'keep/notes.txt', 'keep/more.txt']) await put(client, 'dst-bucket', `mirror/${k}`, k)
      client.destroy()
    })
    after(() => server?.stop())
    const sync = (...args: string[]) => runCli(['sync', '--from', 's3://src-bucket/data/', '--to', 's3://dst-bucket/mirror/', '--endpoint', server.endpoint, '--exclude', 'keep/**', '--json', ...args], { env: server.env })
    const dest = async () => {
      const c = server.client()
      const keys = [...(await snapshot(c, 'dst-bucket', 'mirror/')).keys()]
      c.destroy()
      return keys
    }

    test('--dry-run --delete lists what would go and deletes nothing', async () => {
      const r = await sync('--delete', '--dry-run')
      assert.equal(r.code, 0, r.stderr)
      const planned = items(r.stdout).filter((e) => e.reason === 'would delete: absent at the source').map((e) => e.key)
      assert.deepEqual(planned, ['mirror/old-1.zip', 'mirror/old-2.zip', 'mirror/zz-old-3.zip'])
      assert.equal((await dest()).length, 8)
    })

    test('--max-delete stops the run with exit 1 and deletes nothing beyond it; excluded keys are never deleted', async () => {
      const r = await sync('--delete', '--max-delete', '2')
      assert.equal(r.code, 1, r.stderr)
      assert.deepEqual(items(r.stdout).filter((e) => e.action === 'deleted').map((e) => e.key), ['mirror/old-1.zip', 'mirror/old-2.zip'])
      assert.match(r.stdout, /--max-delete 2 reached/)
      assert.deepEqual(await dest(), ['a.zip', 'b.zip', 'c.zip', 'keep/more.txt', 'keep/notes.txt', 'zz-old-3.zip'])
      const rest = await sync('--delete')
      assert.equal(rest.code, 0, rest.stderr)
      assert.deepEqual(await dest(), ['a.zip', 'b.zip', 'c.zip', 'keep/more.txt', 'keep/notes.txt'])
    })
  })
}
