import { access, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { ConfigError, ExitCode } from '../../errors.ts'
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

/** `lakesync init`: writes a starter lakesync.config.ts, never over an existing file. */
export async function init(o: { dir?: string; force?: boolean }): Promise<number> {
  const file = path.resolve(o.dir ?? '.', 'lakesync.config.ts')
  const exists = await access(file).then(() => true, () => false)
  if (exists && !o.force) throw new ConfigError([`${path.relative(process.cwd(), file) || file}: already exists; not overwritten`], 'edit it, or pass --force to replace it')
  await writeFile(file, STARTER_CONFIG)
  out.line(`wrote ${file}; edit the buckets, then run \`lakesync plan\``)
  return ExitCode.ok
}
