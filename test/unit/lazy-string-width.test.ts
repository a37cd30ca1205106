import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { build } from 'esbuild'
import stringWidth from 'string-width'
import { lazyStringWidth } from '../../scripts/lib/lazy-string-width.mjs'
import { ROOT } from '../helpers/paths.ts'

test('the bundles\' string-width front measures every text as string-width does', async () => {
  // An importer the plugin fronts (cli-truncate), bundled the way the build scripts bundle.
  const work = await mkdtemp(path.join(tmpdir(), 'lakesync-width-'))
  try {
    const pkg = path.join(work, 'node_modules', 'cli-truncate')
    await mkdir(pkg, { recursive: true })
    await symlink(path.join(ROOT, 'node_modules', 'string-width'), path.join(work, 'node_modules', 'string-width'))
    await writeFile(path.join(pkg, 'index.mjs'), "import width from 'string-width'\nexport default width\n")
    const out = path.join(work, 'out.mjs')
    await build({ entryPoints: [path.join(pkg, 'index.mjs')], outfile: out, bundle: true, format: 'esm', platform: 'node', plugins: [lazyStringWidth], logLevel: 'silent' })
    const front: (text: string) => number = (await import(out)).default
    const texts = ['', 'plain ASCII --help text', '日本語のキー', 'e\u0301', '\u001b[31mred\u001b[39m', '👍🏽 ok', 'tab\there']
    for (const text of texts) assert.equal(front(text), stringWidth(text), JSON.stringify(text))
  } finally {
    await rm(work, { recursive: true, force: true })
  }
})

test('in the CLI\'s bundle, string-width is reached only through the front (each copy of it costs every start ~20 ms)', async () => {
  const { metafile } = await build({
    entryPoints: [path.join(ROOT, 'src/cli/run.ts')], bundle: true, format: 'esm', platform: 'node', write: false, metafile: true,
    outdir: path.join(tmpdir(), 'lakesync-width-unused'), external: ['esbuild', 'typescript'], plugins: [lazyStringWidth], logLevel: 'silent',
    alias: { 'zx/core': path.join(ROOT, 'node_modules/zx/build/core.cjs') },
  })
  const direct = Object.entries(metafile.inputs).flatMap(([importer, input]) =>
    input.imports.filter((i) => /(^|\/)string-width\/index\.js$/.test(i.path) && !importer.startsWith('lazy-string-width:')).map(() => importer))
  assert.deepEqual(direct, [], 'these modules import string-width itself: add them to IMPORTERS in scripts/lib/lazy-string-width.mjs')
})
