import { BINANCE_BUCKET, BINANCE_CONNECTION } from '../sources/binance-layout.ts'

/** What a converted legacy config became: the new config's text, and the fields it could not carry. */
export interface LegacyConversion {
  text: string
  unmapped: string[]
}

const MODES = ['auto', 'direct', 'traditional']

/**
 * Converts the JSON config of the Python tool lakesync replaces into a lakesync.config.ts. It
 * mirrored the Binance archive into `destination_bucket`/`destination_prefix`, server-side when
 * `enable_s3_direct_sync` (or `operation_mode`) said so. Every field it cannot map is listed,
 * in the file and to the caller, instead of being dropped.
 */
export function convertLegacyConfig(legacy: Record<string, unknown>): LegacyConversion {
  const unmapped: string[] = []
  const notes: string[] = []
  const { destination_bucket: bucket, destination_prefix: prefix, operation_mode: operationMode, enable_s3_direct_sync: direct, ...rest } = legacy
  if (typeof bucket !== 'string' || !bucket) throw new Error('destination_bucket: missing or not a string; the legacy config must name the bucket it mirrored into')
  const destPrefix = typeof prefix === 'string' ? prefix.replace(/^\/+/, '').replace(/([^/])$/, '$1/') : ''
  if (prefix !== undefined && typeof prefix !== 'string') unmapped.push(`destination_prefix: ${JSON.stringify(prefix)} is not a string`)
  let mode = 'auto'
  if (typeof operationMode === 'string' && MODES.includes(operationMode)) mode = operationMode
  else if (operationMode !== undefined) unmapped.push(`operation_mode: ${JSON.stringify(operationMode)} (expected auto, direct or traditional)`)
  else if (direct === false) mode = 'traditional'
  if (direct !== undefined && typeof direct !== 'boolean') unmapped.push(`enable_s3_direct_sync: ${JSON.stringify(direct)} is not true or false`)
  if (direct === false && mode !== 'traditional' && operationMode !== undefined) notes.push(`enable_s3_direct_sync was false, but operation_mode "${mode}" decides`)
  for (const [key, value] of Object.entries(rest)) unmapped.push(`${key}: ${JSON.stringify(value)}`)
  const comments = [
    '// Converted by `lakesync init --from-legacy`.',
    ...notes.map((n) => `// Note: ${n}.`),
    ...(unmapped.length ? ['// Not converted (set them by hand if they still matter):', ...unmapped.map((u) => `//   ${u}`)] : []),
  ]
  const text = `import { defineConfig, s3 } from 'lakesync'
import { checksums } from 'lakesync/plugins'

${comments.join('\n')}
export default defineConfig({
  connections: {
    binance: ${JSON.stringify({ ...BINANCE_CONNECTION })},
    lake: {}, // the AWS credential chain (env, profile); add region/profile/endpoint as needed
  },
  jobs: {
    mirror: {
      source: s3('s3://${BINANCE_BUCKET}/data/', { connection: 'binance' }),
      destination: s3(${JSON.stringify(`s3://${bucket}/${destPrefix}`)}, { connection: 'lake' }),
      mode: '${mode}',
    },
  },
  plugins: [checksums()],
})
`
  return { text, unmapped }
}
