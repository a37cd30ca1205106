import { readFile, writeFile } from 'node:fs/promises'
import { CONFIG_FILES } from '../../config/load.ts'
import path from 'node:path'
import { ConfigError, ExitCode } from '../../api/errors.ts'
import { out } from '../../util/redact.ts'
import { convertLegacyConfig } from '../../config/legacy.ts'

export const STARTER_CONFIG = `import { defineConfig, s3 } from 'lakesync'

// Copies a prefix of one bucket into another with server-side copies.
// Credentials come from the AWS chain (env, profile); never write secrets here.
export default defineConfig({
  connections: {
    lake: { region: 'us-east-1' /* , endpoint: 'http://127.0.0.1:7070', profile: 'lakehouse' */ },
  },
  jobs: {
    mirror: {
      source: 's3://source-bucket/data/',
      destination: s3('s3://lake-bucket/raw/', { connection: 'lake' }),
      connection: 'lake',
      include: ['**/*.zip', '**/*.CHECKSUM'],
      // mode: 'auto', engine: 'auto', concurrency: 64,
    },
  },
})
`

export const BINANCE_STARTER_CONFIG = `import { defineConfig, binance } from 'lakesync'
import { checksums } from 'lakesync/plugins'

// Mirrors a selection of the Binance public archive (data.binance.vision, read anonymously)
// into your lakehouse bucket, every zip checked against its .CHECKSUM sidecar.
// Credentials for the lake come from the AWS chain (env, profile); never write secrets here.
export default defineConfig({
  connections: {
    lake: { region: 'us-east-1' /* , profile: 'lakehouse' */ },
  },
  jobs: {
    'spot-klines': {
      source: binance.archive({
        market: 'spot', frequency: 'daily', dataType: 'klines',
        symbols: ['BTCUSDT', 'ETHUSDT'], // or '*'
        intervals: ['1m', '1h'],
        from: '-7d', // a daily run lists only this window of each series
      }),
      destination: 's3://lake-bucket/raw/binance/',
      connection: 'lake',
      // keyMap: binance.hiveKeys(), // market=spot/type=klines/symbol=…/interval=…/date=…/file.zip
    },
  },
  plugins: [checksums({ quarantine: 'quarantine/' })],
})
`

/**
 * `lakesync init`: writes a starter lakesync.config.ts (for the Binance archive with --binance,
 * or converted from the legacy tool's JSON with --from-legacy), never beside or over a config
 * that is already there (a new .ts would shadow the user's .mjs, .js, .json or package.json "lakesync").
 */
export async function init(o: { dir?: string; force?: boolean; binance?: boolean; fromLegacy?: string }): Promise<number> {
  const dir = path.resolve(o.dir ?? '.')
  const file = path.join(dir, 'lakesync.config.ts')
  const existing = await existingConfig(dir)
  if (existing && !(o.force && existing === file)) {
    const name = path.relative(process.cwd(), existing) || existing
    throw new ConfigError([`${name}: already exists; not overwritten`], existing === file ? 'edit it, or pass --force to replace it' : `edit ${name}; a lakesync.config.ts beside it would take its place`)
  }
  if (o.fromLegacy) return writeLegacy(o.fromLegacy, file)
  await writeFile(file, o.binance ? BINANCE_STARTER_CONFIG : STARTER_CONFIG)
  out.line(`wrote ${file}; edit the buckets, then run \`lakesync plan\``)
  return ExitCode.ok
}

async function writeLegacy(legacyFile: string, file: string): Promise<number> {
  let legacy: unknown
  try {
    legacy = JSON.parse(await readFile(legacyFile, 'utf8'))
  } catch (error) {
    throw new ConfigError([`${legacyFile}: cannot read it as JSON (${(error as Error).message.split('\n')[0]})`], 'pass the legacy tool\'s JSON config file')
  }
  if (typeof legacy !== 'object' || legacy === null || Array.isArray(legacy)) throw new ConfigError([`${legacyFile}: expected a JSON object of settings`])
  let converted
  try {
    converted = convertLegacyConfig(legacy as Record<string, unknown>)
  } catch (error) {
    throw new ConfigError([`${legacyFile}: ${(error as Error).message}`])
  }
  await writeFile(file, converted.text)
  out.line(`wrote ${file} from ${legacyFile}; check it, then run \`lakesync plan\``)
  for (const u of converted.unmapped) out.err(`lakesync: not converted: ${u}`)
  return ExitCode.ok
}

/** The config file lakesync would load from `dir`, if any (package.json only with a "lakesync" key). */
async function existingConfig(dir: string): Promise<string | undefined> {
  for (const name of CONFIG_FILES) {
    const file = path.join(dir, name)
    const text = await readFile(file, 'utf8').catch(() => undefined)
    if (text === undefined) continue
    if (name !== 'package.json') return file
    try {
      if (JSON.parse(text)?.lakesync !== undefined) return file
    } catch {
      // not a package.json lakesync would read
    }
  }
  return undefined
}
