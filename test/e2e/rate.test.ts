import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { startS3Server, type S3TestServer } from '../helpers/s3-server.ts'
import { runCli } from '../helpers/cli.ts'
import { generatedKlines, putAll } from '../../scripts/lib/seed.ts'
import type { LakesyncEvent } from '../../src/run/events.ts'

describe('--max-rps', () => {
  let server: S3TestServer
  before(async () => {
    server = await startS3Server('versitygw')
    await server.createBucket('src-bucket')
    await server.createBucket('dst-bucket')
    const client = server.client()
    await putAll(client, 'src-bucket', generatedKlines({ symbols: ['BTCUSDT', 'ETHUSDT'], intervals: ['1m'], days: 100, minBytes: 100, maxBytes: 300 }))
    client.destroy()
  })
  after(() => server?.stop())

  for (const engine of ['s5cmd', 'sdk']) {
    test(`${engine}: the measured request rate stays within 10% of N`, async () => {
      const r = await runCli(['sync', '--from', 's3://src-bucket/', '--to', `s3://dst-bucket/${engine}/`, '--endpoint', server.endpoint, '--engine', engine, '--max-rps', '100', '--json'], { env: server.env })
      assert.equal(r.code, 0, r.stderr)
      const end = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as LakesyncEvent).find((e) => e.type === 'job-end') as Extract<LakesyncEvent, { type: 'job-end' }>
      assert.equal(end.copied, 400)
      const total = Object.values(end.requests).reduce((a, b) => a + b, 0)
      const rate = total / end.seconds
      assert.ok(rate >= 90 && rate <= 110, `${total} requests in ${end.seconds.toFixed(2)} s = ${rate.toFixed(1)}/s`)
    })
  }
})
