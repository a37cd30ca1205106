// The configs `lakesync init --binance` and `init --from-legacy` write load and validate as a
// user's own would, and a legacy field that cannot be mapped is listed, not dropped.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { loadConfig } from '../../src/config/load.ts'
import { resolveConfig } from '../../src/config/resolve.ts'
import { convertLegacyConfig } from '../../src/config/legacy.ts'
import { BINANCE_STARTER_CONFIG } from '../../src/cli/commands/init.ts'

const dirs: string[] = []
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))

async function load(text: string) {
  const dir = await mkdtemp(path.join(tmpdir(), 'lakesync-init-unit-'))
  dirs.push(dir)
  await writeFile(path.join(dir, 'lakesync.config.ts'), text)
  const lakesyncModules = { lakesync: await import('../../src/index.ts'), 'lakesync/plugins': await import('../../plugins/index.ts') }
  const loaded = await loadConfig({ cwd: dir, lakesyncModules, context: { command: 'sync' } })
  return resolveConfig(loaded!.config, loaded!.file)
}

test('init --binance: a windowed archive selection with checksums that validates', async () => {
  const config = await load(BINANCE_STARTER_CONFIG)
  const job = config.jobs[0]!
  assert.equal(job.source.binance?.from, '-7d')
  assert.equal(job.source.bucket, 'data.binance.vision')
  assert.equal(job.destination.bucket, 'lake-bucket')
})

test('init --from-legacy: the four fields map, the rest is listed in the file and to the caller', async () => {
  const { text, unmapped } = convertLegacyConfig({
    enable_s3_direct_sync: true, destination_bucket: 'acme-lake', destination_prefix: 'raw/binance', operation_mode: 'direct',
    max_workers: 16, symbols: ['BTCUSDT'],
  })
  assert.deepEqual(unmapped, ['max_workers: 16', 'symbols: ["BTCUSDT"]'])
  assert.match(text, /\/\/ {3}max_workers: 16/)
  const job = (await load(text)).jobs[0]!
  assert.equal(job.mode, 'direct')
  assert.equal(`s3://${job.destination.bucket}/${job.destination.prefix}`, 's3://acme-lake/raw/binance/')
  assert.equal(`s3://${job.source.bucket}/${job.source.prefix}`, 's3://data.binance.vision/data/')
  assert.equal(job.source.connection.anonymous, true)

  assert.equal((await load(convertLegacyConfig({ destination_bucket: 'acme-lake', enable_s3_direct_sync: false }).text)).jobs[0]!.mode, 'traditional')
  assert.deepEqual(convertLegacyConfig({ destination_bucket: 'acme-lake', operation_mode: 'fast' }).unmapped, ['operation_mode: "fast" (expected auto, direct or traditional)'])
  assert.throws(() => convertLegacyConfig({ operation_mode: 'auto' }), /destination_bucket: missing/)
})

// Every line terminator JavaScript knows, quotes, backslashes, comment and template openers, and code.
const NASTY = ['\n', '\r', '\u2028', '\u2029', '"', "'", '`', '\\', '*/', '/*', '//', '${', '}', '<!--', '-->', '</script>', "require('node:fs')", ';globalThis.__legacyPwned=1;', 'x', 'é', '😀', ' ']

/** A seeded generator, so a failing case can be run again. */
function random(seed: number) {
  let state = seed
  return (n: number) => ((state = (state * 1103515245 + 12345) % 2 ** 31), Math.floor((state / 2 ** 31) * n))
}

test('init --from-legacy on hostile JSON: the config holds the input as data, in its comments as one line each, and never runs it', { timeout: 120_000 }, async () => {
  for (let seed = 1; seed <= 60; seed++) {
    const r = random(seed)
    const nasty = (n: number) => Array.from({ length: 1 + r(n) }, () => NASTY[r(NASTY.length)]).join('')
    const value = (): unknown => [nasty(6), r(1000), true, null, [nasty(3)], { [nasty(3)]: nasty(3) }][r(6)]
    const prefix = `raw/${nasty(4)}`
    const legacy: Record<string, unknown> = { destination_bucket: 'acme-lake', destination_prefix: prefix }
    for (let i = 0, n = 1 + r(4); i < n; i++) legacy[nasty(5)] = value()
    if (r(2)) legacy.operation_mode = nasty(4)
    const { text, unmapped } = convertLegacyConfig(legacy)
    // Each unmapped field is one comment line: no line terminator inside it ends the comment early.
    const lines = text.split(/\r\n|[\n\r\u2028\u2029]/)
    const comments = lines.filter((l) => l.startsWith('//   '))
    assert.equal(comments.length, unmapped.length, `seed ${seed}: ${unmapped.length} comment lines`)
    const loaded = await load(text).catch((error: Error) => error)
    assert.equal((globalThis as { __legacyPwned?: number }).__legacyPwned, undefined, `seed ${seed}: the config ran code from the legacy file`)
    if (loaded instanceof Error) {
      assert.match(loaded.message, /s3:\/\/|prefix|destination/, `seed ${seed}: refused for its destination, not a syntax error: ${loaded.message}`)
      continue
    }
    const job = loaded.jobs[0]!
    assert.equal(`s3://${job.destination.bucket}/${job.destination.prefix}`, `s3://acme-lake/${prefix.replace(/([^/])$/, '$1/')}`, `seed ${seed}`)
  }
})
