// The embedded default: mirrors a Binance-layout archive on a local S3 server into a lake bucket.
// `npm run demo` starts that server, seeds it and runs this config; point the endpoint elsewhere
// (LAKESYNC_ENDPOINT) to run it against your own server.
import { defineConfig, s3 } from 'lakesync'

const endpoint = process.env.LAKESYNC_ENDPOINT ?? 'http://127.0.0.1:7070'

export default defineConfig({
  connections: {
    local: { endpoint, region: 'us-east-1' },
  },
  jobs: {
    'binance-spot': {
      source: 's3://data.binance.vision/data/spot/',
      destination: s3('s3://lake/raw/binance/spot/', { connection: 'local' }),
      connection: 'local',
      include: ['**/*.zip', '**/*.zip.CHECKSUM'],
    },
    'binance-futures': {
      source: 's3://data.binance.vision/data/futures/',
      destination: 's3://lake/raw/binance/futures/',
      connection: 'local',
    },
  },
  hooks: {
    afterJob: (summary) => {
      if (summary.failed) console.error(`${summary.job}: ${summary.failed} objects failed; run again to retry them`)
    },
  },
})
