// Bundles the CLI for running without node_modules: dist/lib/lakesync.mjs plus lazily loaded
// chunks (code splitting keeps `--version` and small runs from compiling the whole AWS SDK);
// also the package's library entries, dist/lib/index.mjs ('lakesync') and plugins.mjs
// ('lakesync/plugins'), sharing those chunks.
// esbuild stays external: the config loader calls it to read TypeScript configs.
import { build } from 'esbuild'
import { lazyStringWidth } from './lib/lazy-string-width.mjs'
import { rm } from 'node:fs/promises'

await rm('dist/lib', { recursive: true, force: true })
await build({
  entryPoints: { lakesync: 'src/cli/run.ts', index: 'src/index.ts', plugins: 'plugins/index.ts' },
  outdir: 'dist/lib',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['esbuild'],
  minify: true,
  keepNames: true,
  legalComments: 'none',
  banner: { js: "import { createRequire as __lakesyncCreateRequire } from 'node:module'; const require = __lakesyncCreateRequire(import.meta.url);" },
  // zx's ESM entry requires its CommonJS build by a relative path under Deno; bundle that build directly.
  alias: { 'zx/core': './node_modules/zx/build/core.cjs' },
  plugins: [lazyStringWidth],
  logLevel: 'warning',
})
