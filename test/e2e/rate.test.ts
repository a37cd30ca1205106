import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { startS3Server, type S3TestServer } from '../helpers/s3-server.ts'
import { runCli, suiteStateDir } from '../helpers/cli.ts'
import { startFaultProxy } from '../helpers/fault-proxy.ts'
import { generatedKlines, putAll } from '../../scripts/lib/seed.ts'
import type { LakesyncEvent } from '../../src/api/events.ts'
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

  for (const engine of ['s5cmd', 'sdk', 'lean']) {
    test(`${engine}: requests never exceed N in any second, and the copy rate stays within 10% of N`, async () => {
      const state = await suiteStateDir('rate')
      // Requests are timed as they reach a proxy in front of the server: when they were sent.
      const proxy = await startFaultProxy(server.port, {})
      const r = await runCli(['sync', '--from', 's3://src-bucket/', '--to', `s3://dst-bucket/${engine}/`, '--endpoint', proxy.endpoint, '--engine', engine, '--max-rps', '50', '--verify', 'none', '--json'], { env: { ...server.env, LAKESYNC_STATE_DIR: state } })
      await proxy.close()
      assert.equal(r.code, 0, r.stderr)
      const end = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as LakesyncEvent).find((e) => e.type === 'job-end') as Extract<LakesyncEvent, { type: 'job-end' }>
      assert.equal(end.copied, 400)
      // Any window of one second, starting at any request, holds at most 50 (+15% for timer and event-loop jitter;
      // s5cmd sends the lines lakesync spaces at its own pace, up to tens of ms late on a busy host).
      const bound = engine === 's5cmd' ? 60 : 58
      const times = proxy.requests.map((q) => q.at).sort((a, b) => a - b)
      let busiest = 0
      for (let i = 0, j = 0; i < times.length; i++) {
        while (times[j]! <= times[i]! - 1000) j++
        busiest = Math.max(busiest, i - j + 1)
      }
      assert.ok(busiest <= bound, `at most ${bound} requests in any second; the busiest second had ${busiest}`)
      assert.equal(times.length, Object.values(end.requests).reduce((a, b) => a + b, 0), 'every request lakesync counted reached the proxy')
      // The rate while copying: copies over the time from the first to the last, per the journal
      // (--verify none, so each copy is recorded as it finishes, not with its verification window).
      const [journal] = await readdir(path.join(state, 'runs'))
      const copies = (await readFile(path.join(state, 'runs', journal!), 'utf8')).trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.action === 'copied')
      const span = (Date.parse(copies.at(-1).at) - Date.parse(copies[0].at)) / 1000
      const rate = (copies.length - 1) / span
      assert.ok(rate >= 45 && rate <= 55, `${copies.length} copies in ${span.toFixed(2)} s = ${rate.toFixed(1)}/s`)
      // A watcher sees the run move: a progress event a second, the rate as paced, then an ETA.
      const progress = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as LakesyncEvent).filter((e): e is Extract<LakesyncEvent, { type: 'progress' }> => e.type === 'progress')
      assert.ok(progress.length >= 6, `${progress.length} progress events in a ~8 s run`)
      const moving = progress.filter((p) => p.answered > 0 && p.answered < 400)
      assert.ok(moving.length >= 4, 'copies counted as the server answers them')
      assert.ok(moving.every((p) => p.inFlight > 0 && p.inFlight <= 65), `in flight: at most the 64 of --concurrency and the one waiting for a slot (${moving.map((p) => p.inFlight).join(', ')})`)
      assert.ok(moving.slice(2).every((p) => p.objectsPerSecond >= 35 && p.objectsPerSecond <= 65), `rates: ${moving.map((p) => p.objectsPerSecond).join(', ')}`)
      assert.ok(moving.every((p) => p.listingDone && p.toCopy === 400), `the listing of 400 keys is done at once, the total known: ${JSON.stringify(moving[0])}`)
      assert.ok(moving.slice(1).every((p) => p.etaSeconds !== undefined), 'an ETA from the second second on, once a rate is known')
      const first = moving[1]!
      const last = moving.at(-1)!
      assert.ok(last.etaSeconds! < first.etaSeconds!, `the ETA counts down (${first.etaSeconds} s, then ${last.etaSeconds} s)`)
      assert.ok(Math.abs(first.etaSeconds! - (400 - first.answered) / 50) <= 3, `ETA ${first.etaSeconds} s with ${400 - first.answered} copies left at 50/s`)
    })
  }
})
