import { test } from 'node:test'
import assert from 'node:assert/strict'
import { validateConfig } from '../../src/config/validate.ts'
import { parseS3Url } from '../../src/config/location.ts'
import { flagHelp, flagName } from '../../src/api/options.ts'
import { FLAG_OPTIONS } from '../../src/cli/flag-options.ts'
import { BUILTIN_PLUGIN_OPTIONS } from '../../plugins/builtin-options.ts'

test('every problem is reported with its field path', () => {
  const problems = validateConfig({
    connections: { a: { endpoint: 'ftp://x', anonymous: 'yes', credentials: { accessKeyId: 'AK', secretAccessKey: 'SUPERSECRET' }, color: 1 } },
    jobs: { j: { source: 's3://bucket/p', destination: 's3://B/', mode: 'fast', include: 'x', concurrency: 5000 } },
    extra: true,
  })
  assert.deepEqual(problems.map((p) => p.split(':')[0]), [
    'extra', 'connections.a.color', 'connections.a.endpoint', 'connections.a.anonymous',
    'jobs.j.source', 'jobs.j.destination', 'jobs.j.include', 'jobs.j.mode', 'jobs.j.concurrency',
  ])
  assert.ok(!problems.join('\n').includes('SUPERSECRET'))
})

test('s3 locations', () => {
  assert.deepEqual(parseS3Url('s3://data.binance.vision/data/spot/'), { bucket: 'data.binance.vision', prefix: 'data/spot/' })
  assert.deepEqual(parseS3Url('s3://bucket'), { bucket: 'bucket', prefix: '' })
  assert.match(parseS3Url('s3://bucket/data') as string, /must end with "\/"/)
  assert.match(parseS3Url('bucket/') as string, /expected s3:\/\/bucket\/prefix\//)
})

test('every option of the option table and of lakesync\'s own plugins is checked, has a flag, and its default passes its own check', () => {
  const bad: Record<string, unknown> = { choice: 'nonsense', integer: 1.5, boolean: 'yes', prefix: '/abs' }
  for (const [name, spec] of Object.entries(FLAG_OPTIONS)) {
    const job = (value: unknown) => ({ jobs: { j: { source: 's3://src/x/', destination: 's3://lake/y/', [name]: value } } })
    assert.deepEqual(validateConfig(job(bad[spec.type]), BUILTIN_PLUGIN_OPTIONS).map((p) => p.split(':')[0]), [`jobs.j.${name}`], name)
    if ('default' in spec) assert.deepEqual(validateConfig(job(spec.default), BUILTIN_PLUGIN_OPTIONS), [], `${name}: its default`)
    assert.ok(spec.doc.length > 10, `${name} has a text`)
  }
  assert.equal(flagName('multipartThreshold'), '--multipart-threshold')
})

test('every --help text is printable ASCII: yargs measures them all at each start, and any other character loads Unicode tables (~30 ms)', async () => {
  const { readFile } = await import('node:fs/promises')
  for (const [name, spec] of Object.entries(FLAG_OPTIONS)) assert.match(flagHelp(name, spec), /^[\x20-\x7e]+$/, `--${name}'s help: ${flagHelp(name, spec)}`)
  // The other flags' and the commands' texts are written in the CLI's one file.
  const cli = await readFile(new URL('../../src/cli/main.ts', import.meta.url), 'utf8')
  assert.deepEqual(cli.split('\n').filter((l) => /[^\x00-\x7e]/.test(l) && !/^\s*(\/\/|\*|\/\*\*)/.test(l)), [], 'lines of src/cli/main.ts with other characters')
})
