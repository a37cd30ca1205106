// The Node the single binary embeds, and that the test suites run under: a current LTS from the
// npm registry (node-linux-<arch>), fetched once into .tools. `node scripts/lib/embedded-node.mjs`
// fetches it if needed and prints its path (scripts/setup.sh puts it first on the suites' PATH).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export const NODE_VERSION = '24.21.0'
const root = path.resolve(import.meta.dirname, '../..')

/** Where an architecture's Node lives: each in a folder of its own, since one npm install there would prune the other. */
export const nodeOf = (arch) => path.join(root, '.tools', arch === 'x64' ? `node-${NODE_VERSION}` : `node-${NODE_VERSION}-${arch}`, 'node_modules', `node-linux-${arch}`, 'bin', 'node')

/** The architecture's Node, fetched from the npm registry when it is not here yet. */
export function fetchNode(arch) {
  const bin = nodeOf(arch)
  if (existsSync(bin)) return bin
  const dir = path.resolve(bin, '../../../..')
  console.error(`fetching Node ${NODE_VERSION} (node-linux-${arch}) from the npm registry`)
  mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, 'package.json'), '{"private":true}\n')
  // --force: npm refuses a package built for another CPU than this one.
  execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', '--force', '--loglevel=error', `node-linux-${arch}@${NODE_VERSION}`], { cwd: dir, stdio: ['ignore', 2, 'inherit'] }) // npm's own lines to stderr: stdout is the path
  return bin
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(fetchNode(process.arch))
