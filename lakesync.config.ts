// The embedded default: mirrors a Binance-layout archive on a local S3 server into a lake bucket.
// `npm run demo` starts that server, seeds it and runs this config; point LAKESYNC_ENDPOINT at
// your own server to run it there.
import { defineConfig, binance, s3 } from 'lakesync'
import { checksums } from 'lakesync/plugins'

const endpoint = process.env.LAKESYNC_ENDPOINT ?? 'http://127.0.0.1:7070'

export default defineConfig({
  connections: {
    local: { endpoint, region: 'us-east-1' },
  },
  jobs: {
    // January 2024 of two intervals for three symbols, with the gap report and SHA-256 checks.
    'spot-klines': {
      source: binance.archive({
        market: 'spot', frequency: 'daily', dataType: 'klines',
        symbols: ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'], intervals: ['1m', '1h'],
        from: '2024-01-01', to: '2024-01-31',
        bucket: 'data.binance.vision', connection: 'local',
      }),
      destination: s3('s3://lake/raw/binance/', { connection: 'local' }),
    },
    // Everything under data/futures/ (the real archive samples), as a plain prefix copy.
    futures: {
      source: 's3://data.binance.vision/data/futures/',
      destination: 's3://lake/raw/binance/data/futures/',
      connection: 'local',
    },
  },
  plugins: [checksums({ quarantine: 'quarantine/' })],
  hooks: {
    afterJob: (summary) => {
      if (summary.failed) console.error(`${summary.job}: ${summary.failed} objects failed; run again to retry them`)
    },
  },
})
