import { BINANCE_BUCKET, BINANCE_CONNECTION } from '../sources/binance-layout.ts'

/** What a converted legacy config became: the new config's text, and the fields it could not carry. */
export interface LegacyConversion {
  text: string
  unmapped: string[]
}

const MODES = ['auto', 'direct', 'traditional']

/**
 * A value as a JavaScript literal that holds it as data, in one line: JSON, with the two line
 * terminators JSON leaves raw (U+2028, U+2029) escaped too. Everything taken from the legacy
 * file goes into the generated config this way, in code and in `//` comments alike: raw, a line
 * terminator would end the comment or the string and what follows would run as code.
 */
function literal(value: unknown): string {
  return (JSON.stringify(value) ?? 'undefined').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
}

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
  if (prefix !== undefined && typeof prefix !== 'string') unmapped.push(`destination_prefix: ${literal(prefix)} is not a string`)
  let mode = 'auto'
  if (typeof operationMode === 'string' && MODES.includes(operationMode)) mode = operationMode
  else if (operationMode !== undefined) unmapped.push(`operation_mode: ${literal(operationMode)} (expected auto, direct or traditional)`)
  else if (direct === false) mode = 'traditional'
  if (direct !== undefined && typeof direct !== 'boolean') unmapped.push(`enable_s3_direct_sync: ${literal(direct)} is not true or false`)
  if (direct === false && mode !== 'traditional' && operationMode !== undefined) notes.push(`enable_s3_direct_sync was false, but operation_mode "${mode}" decides`)
  // A plain field name as it is; any other in quotes, escaped like every value.
  for (const [key, value] of Object.entries(rest)) unmapped.push(`${/^[A-Za-z_][\w-]*$/.test(key) ? key : literal(key)}: ${literal(value)}`)
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
    binance: ${literal({ ...BINANCE_CONNECTION })},
    lake: {}, // the AWS credential chain (env, profile); add region/profile/endpoint as needed
  },
  jobs: {
    mirror: {
      source: s3('s3://${BINANCE_BUCKET}/data/', { connection: 'binance' }),
      destination: s3(${literal(`s3://${bucket}/${destPrefix}`)}, { connection: 'lake' }),
      mode: '${mode}',
    },
  },
  plugins: [checksums()],
})
`
  return { text, unmapped }
}
