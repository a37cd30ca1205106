// `npm run demo`: the main job on the embedded default. Starts a local S3 server, seeds a
// Binance-layout archive (the real samples plus generated days), runs `lakesync sync` with
// ./lakesync.config.ts, then runs it again to show that nothing is rewritten.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { generatedKlines, putAll, realSamples } from './lib/seed.ts'
import { startVersitygw } from '../src/bench/local-server.ts'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true' // the CLI shows it; the seeding need not
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const port = Number(process.env.LAKESYNC_DEMO_PORT ?? 7070)
const server = await startVersitygw(port)
try {
  await server.createBuckets('data.binance.vision', 'lake')
  // January 2024 for three symbols, with one day missing as the real archive sometimes has.
  const generated = generatedKlines({ symbols: ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'], intervals: ['1m', '1h'], days: 31 })
  const objects = [...(await realSamples()), ...generated.filter((o) => !o.key.includes('ETHUSDT-1m-2024-01-17'))]
  await putAll(server.client, 'data.binance.vision', objects)
  console.log(`demo: S3 server at ${server.endpoint}, seeded s3://data.binance.vision/ with ${objects.length} objects`)
  const env = {
    ...process.env,
    LAKESYNC_ENDPOINT: server.endpoint,
    AWS_ACCESS_KEY_ID: server.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  }
  let status = 0
  for (const round of ['first run', 'second run (incremental: nothing to copy)']) {
    console.log(`\ndemo: ${round}: lakesync sync`)
    const r = spawnSync(process.execPath, [path.join(root, 'bin/lakesync.mjs'), 'sync', ...process.argv.slice(2)], { cwd: root, env, stdio: 'inherit' })
    status ||= r.status ?? 1
  }
  process.exitCode = status
} finally {
  await server.stop()
}
