import { after, before } from 'node:test'
import { startS3Server, type S3TestServer } from './s3-server.ts'
import { suiteStateDir } from './cli.ts'
import { generatedKlines, putAll } from '../../scripts/lib/seed.ts'

/**
 * A suite's versitygw with `days` of BTCUSDT 1m and 1h klines (zips and sidecars) in src-bucket,
 * an empty dst-bucket, and a state dir of the suite's own; started before the suite's tests.
 */
export function klinesBed(suite: string, days: number) {
  const bed = {
    server: undefined as unknown as S3TestServer,
    state: '',
    /** The server's credentials and the suite's state dir, for runCli. */
    env: () => ({ ...bed.server.env, LAKESYNC_STATE_DIR: bed.state }),
  }
  before(async () => {
    bed.server = await startS3Server('versitygw', { buckets: ['src-bucket', 'dst-bucket'] })
    const client = bed.server.client()
    await putAll(client, 'src-bucket', generatedKlines({ symbols: ['BTCUSDT'], intervals: ['1m', '1h'], days }))
    client.destroy()
    bed.state = await suiteStateDir(suite)
  })
  after(() => bed.server?.stop())
  return bed
}
