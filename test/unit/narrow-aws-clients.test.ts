import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { build, type BuildOptions } from 'esbuild'
import { narrowAwsClients } from '../../scripts/lib/narrow-aws-clients.mjs'
import { ROOT } from '../helpers/paths.ts'

// As scripts/build-binary.mjs bundles: CommonJS, ES module builds of packages, import() as require.
const asTheBinary: BuildOptions = {
  bundle: true, platform: 'node', format: 'cjs', write: false, metafile: true, outfile: path.join(tmpdir(), 'lakesync-narrow-unused.cjs'),
  mainFields: ['module', 'main'], supported: { 'dynamic-import': false }, nodePaths: [path.join(ROOT, 'node_modules')], plugins: [narrowAwsClients], logLevel: 'silent',
}
const commandsIn = (inputs: Record<string, unknown>, pkg: string) =>
  Object.keys(inputs).filter((f) => f.includes(`${pkg}/dist-es/commands/`)).map((f) => path.basename(f, '.js')).sort()

test('the binary bundles the S3 commands lakesync imports, not the client packages\' indexes of all of them', async () => {
  const { metafile } = await build({
    ...asTheBinary, entryPoints: [path.join(ROOT, 'src/cli/binary-main.ts')], external: ['typescript'],
    define: { 'import.meta.url': '"file:///binary"' }, alias: { 'zx/core': path.join(ROOT, 'node_modules/zx/build/core.cjs') },
  })
  const inputs = Object.keys(metafile!.inputs)
  assert.deepEqual(inputs.filter((f) => /client-s3(-control)?\/dist-es\/index\.js$/.test(f)), [])
  const s3 = commandsIn(metafile!.inputs, 'client-s3')
  assert.ok(s3.includes('CopyObjectCommand') && s3.includes('ListObjectsV2Command'), s3.join(' '))
  assert.ok(s3.length < 25, `${s3.length} S3 commands bundled (the client has 113)`)
})

test('an importer gets its value imports from their own files; a namespace import gets the whole client', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'lakesync-narrow-'))
  try {
    const named = path.join(work, 'named.ts')
    await writeFile(named, "import { type S3Client, CopyObjectCommand, ChecksumAlgorithm as Algo } from '@aws-sdk/client-s3'\nimport type { HeadObjectCommand } from '@aws-sdk/client-s3'\nexport const used: [unknown, unknown, S3Client?, HeadObjectCommand?] = [CopyObjectCommand, Algo]\n")
    const narrow = await build({ ...asTheBinary, entryPoints: [named] })
    assert.deepEqual(commandsIn(narrow.metafile!.inputs, 'client-s3'), ['CopyObjectCommand'])
    const whole = path.join(work, 'whole.ts')
    await writeFile(whole, "import * as s3 from '@aws-sdk/client-s3'\nexport const client = s3.S3Client\n")
    const all = await build({ ...asTheBinary, entryPoints: [whole] })
    assert.ok(commandsIn(all.metafile!.inputs, 'client-s3').length > 100, 'the namespace is whole')
  } finally {
    await rm(work, { recursive: true, force: true })
  }
})
