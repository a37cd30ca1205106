// `npm run build:binary`: one executable, dist/lakesync (linux-x64), that needs no Node, no
// node_modules, no s5cmd and no network. A Node single executable application: the CLI bundled
// into one CommonJS file with esbuild, a V8 code cache made by a warm-up run of it, and a small
// loader (src/cli/binary-loader.ts) that runs the one with the other, injected with postject into
// a current Node LTS that comes from the npm registry (node-linux-<arch>), not the machine's
// Node. The pinned s5cmd rides along as an asset (src/engines/embedded-s5cmd.ts writes it out).
// `--arch arm64` builds dist/lakesync-linux-arm64 from Node's arm64 build and a cross-compiled
// s5cmd; its warm-up (and so its code cache) needs qemu-user, and is left out without it.
import { build } from 'esbuild'
import { lazyStringWidth } from './lib/lazy-string-width.mjs'
import { narrowAwsClients } from './lib/narrow-aws-clients.mjs'
import { fetchNode, nodeOf, NODE_VERSION } from './lib/embedded-node.mjs'
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'

// Only flags that leave V8's flag hash alone: others make Node reject its built-in code cache.
export const GC_FLAGS = ['--max-semi-space-size=8']
const { values: { arch } } = parseArgs({ options: { arch: { type: 'string', default: 'x64' } } })
if (!['x64', 'arm64'].includes(arch)) throw new Error(`build:binary: --arch must be x64 or arm64, got ${arch}`)
const native = arch === process.arch
const root = path.resolve(import.meta.dirname, '..')
const nodeBin = nodeOf(arch)
const s5cmd = arch === 'x64' ? path.join(root, '.tools', 'bin', 's5cmd') : path.join(root, '.tools', `linux-${arch}`, 's5cmd')
const work = path.join(root, 'dist', arch === 'x64' ? 'sea' : `sea-${arch}`)
const out = path.join(root, 'dist', arch === 'x64' ? 'lakesync' : `lakesync-linux-${arch}`)
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts })
// A foreign-architecture Node runs under qemu-user, given the target's C library (Debian's
// libc6-<arch>-cross puts it under /usr/aarch64-linux-gnu).
const qemu = native ? undefined : ['/usr/bin/qemu-aarch64', '/usr/bin/qemu-aarch64-static'].find(existsSync)
const runOnTarget = (program, args, opts) => native ? spawnSync(program, args, opts) : spawnSync(qemu, ['-L', '/usr/aarch64-linux-gnu', program, ...args], opts)

if (!existsSync(s5cmd)) throw new Error(`build:binary: ${s5cmd} is missing: run npm run setup (or scripts/release for arm64) first`)
fetchNode(arch)
// The blob holds no code compiled by its maker (no useSnapshot, no useCodeCache), so the host's
// Node of the same version makes it for either architecture.
const hostNode = fetchNode('x64')

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
  plugins: [lazyStringWidth, narrowAwsClients],
})
await build({ ...script, entryPoints: [path.join(root, 'src/cli/binary-loader.ts')], outfile: path.join(work, 'loader.cjs') })

// The warm-up: a dry run against a closed loopback port goes through argument parsing, config
// resolution, the sync command's modules and the SDK's request path, then ends at preflight
// (exit 4). V8 accepts the cache only under the flags it was made with: the binary's own.
const cache = path.join(work, 'lakesync.cache')
const withCache = native || qemu !== undefined
if (withCache) {
  const warmUp = runOnTarget(nodeBin, [...GC_FLAGS, path.join(work, 'loader.cjs'), 'sync', '--dry-run', '--from', 's3://warm-up-source/data/', '--to', 's3://warm-up-mirror/data/', '--endpoint', 'http://127.0.0.1:9'], {
    cwd: work,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH, HOME: work, LAKESYNC_STATE_DIR: path.join(work, 'state'), LAKESYNC_MAKE_CODE_CACHE: cache,
      AWS_ACCESS_KEY_ID: 'WARMUP', AWS_SECRET_ACCESS_KEY: 'warm-up', AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  })
  if (warmUp.status !== 4 || !existsSync(cache)) throw new Error(`build:binary: the warm-up run should end at preflight (exit 4), got ${warmUp.status}:\n${warmUp.stderr}`)
} else console.error(`build:binary: no qemu-user to run the ${arch} Node: this binary starts without a code cache (~60 ms slower)`)

// s5cmd names itself the way `s5cmd version` prints it; the host's build of the same pin answers for a foreign one.
const s5cmdVersion = execFileSync(path.join(root, '.tools', 'bin', 's5cmd'), ['version'], { encoding: 'utf8' }).trim()
const s5cmdMeta = path.join(work, 's5cmd.json')
writeFileSync(s5cmdMeta, JSON.stringify({ version: s5cmdVersion, sha256: createHash('sha256').update(readFileSync(s5cmd)).digest('hex') }))

writeFileSync(path.join(work, 'sea-config.json'), JSON.stringify({
  main: path.join(work, 'loader.cjs'),
  output: path.join(work, 'sea-prep.blob'),
  disableExperimentalSEAWarning: true,
  assets: { 'lakesync.cjs': path.join(work, 'lakesync.cjs'), ...(withCache ? { 'lakesync.cache': cache } : {}), 's5cmd': s5cmd, 's5cmd.json': s5cmdMeta },
  // V8 lets the heap of a long copy grow to several times its ~25 MB live set before a full
  // GC (RSS over 300 MB at 50,000 objects); a smaller young generation here and a slower growth
  // factor set once the command is loaded (src/cli/gc-tuning.ts) hold RSS near 160 MB.
  execArgv: GC_FLAGS,
}))
run(hostNode, ['--experimental-sea-config', path.join(work, 'sea-config.json')])
copyFileSync(nodeBin, out)
chmodSync(out, 0o755)
run(process.execPath, [path.join(root, 'node_modules', 'postject', 'dist', 'cli.js'), out, 'NODE_SEA_BLOB', path.join(work, 'sea-prep.blob'), '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'])
if (withCache) {
  const check = runOnTarget(out, ['--version'], { encoding: 'utf8', env: { ...process.env, LAKESYNC_CHECK_CODE_CACHE: '1' } })
  if (!check.stderr.includes('code cache accepted')) throw new Error(`build:binary: ${out} does not start with its code cache: ${check.stderr}`)
}
console.error(`build:binary: wrote ${path.relative(root, out)} (${(statSync(out).size / 1e6).toFixed(0)} MB, Node ${NODE_VERSION} ${arch}, ${s5cmdVersion})`)
