import { readFile, writeFile } from 'node:fs/promises'
import { CONFIG_FILES } from '../../config/load.ts'
import path from 'node:path'
import { ConfigError, ExitCode } from '../../api/errors.ts'
import { out } from '../../util/redact.ts'

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

/**
 * `lakesync init`: writes a starter lakesync.config.ts, never beside or over a config that is
 * already there (a new .ts would shadow the user's .mjs, .js, .json or package.json "lakesync").
 */
export async function init(o: { dir?: string; force?: boolean }): Promise<number> {
  const dir = path.resolve(o.dir ?? '.')
  const file = path.join(dir, 'lakesync.config.ts')
  const existing = await existingConfig(dir)
  if (existing && !(o.force && existing === file)) {
    const name = path.relative(process.cwd(), existing) || existing
    throw new ConfigError([`${name}: already exists; not overwritten`], existing === file ? 'edit it, or pass --force to replace it' : `edit ${name}; a lakesync.config.ts beside it would take its place`)
  }
  await writeFile(file, STARTER_CONFIG)
  out.line(`wrote ${file}; edit the buckets, then run \`lakesync plan\``)
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
