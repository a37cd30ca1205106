import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { startS3Server, type S3TestServer } from '../helpers/s3-server.ts'
import { runCli, suiteStateDir } from '../helpers/cli.ts'
import { generatedKlines, putAll } from '../../scripts/lib/seed.ts'
import type { LakesyncEvent } from '../../src/run/events.ts'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'

describe('--max-rps', () => {
  let server: S3TestServer
  before(async () => {
    server = await startS3Server('versitygw', { buckets: ['src-bucket', 'dst-bucket'] })
    const client = server.client()
    await putAll(client, 'src-bucket', generatedKlines({ symbols: ['BTCUSDT', 'ETHUSDT'], intervals: ['1m'], days: 100, minBytes: 100, maxBytes: 300 }))
    client.destroy()
  })
  after(() => server?.stop())

  for (const engine of ['s5cmd', 'sdk']) {
    test(`${engine}: the measured request rate stays within 10% of N`, async () => {
      const state = await suiteStateDir('rate')
      const r = await runCli(['sync', '--from', 's3://src-bucket/', '--to', `s3://dst-bucket/${engine}/`, '--endpoint', server.endpoint, '--engine', engine, '--max-rps', '50', '--verify', 'none', '--json'], { env: { ...server.env, LAKESYNC_STATE_DIR: state } })
      assert.equal(r.code, 0, r.stderr)
      const end = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as LakesyncEvent).find((e) => e.type === 'job-end') as Extract<LakesyncEvent, { type: 'job-end' }>
      assert.equal(end.copied, 400)
      // The rate while copying: copies over the time from the first to the last, per the journal
      // (--verify none, so each copy is recorded as it finishes, not with its verification window).
      const [journal] = await readdir(path.join(state, 'runs'))
      const copies = (await readFile(path.join(state, 'runs', journal!), 'utf8')).trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.action === 'copied')
      const span = (Date.parse(copies.at(-1).at) - Date.parse(copies[0].at)) / 1000
      const rate = (copies.length - 1) / span
      assert.ok(rate >= 45 && rate <= 55, `${copies.length} copies in ${span.toFixed(2)} s = ${rate.toFixed(1)}/s`)
      const total = Object.values(end.requests).reduce((a, b) => a + b, 0)
      assert.ok(total / end.seconds <= 55, 'never above the limit over the whole run either')
    })
  }
})
