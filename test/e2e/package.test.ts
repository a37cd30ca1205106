import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { exec } from '../../src/util/exec.ts'
import { ROOT } from '../helpers/paths.ts'
import { VERSION } from '../../src/api/version.ts'

// `npm pack` builds (prepack) in a copy of the checkout: other suites run the checkout's dist/ meanwhile.
let work: string
let tarball: string
let project: string
const env = { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' }
const run = async (cmd: string, args: string[], cwd: string) => {
  const r = await exec(cmd, args, env, cwd)
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')}: ${r.stdout}\n${r.stderr}`)
  return r
}

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'lakesync-pack-'))
  const checkout = path.join(work, 'checkout')
  await mkdir(checkout)
  for (const f of ['package.json', 'tsconfig.json', 'README.md', 'bin', 'src', 'plugins', 'scripts']) await cp(path.join(ROOT, f), path.join(checkout, f), { recursive: true })
  await symlink(path.join(ROOT, 'node_modules'), path.join(checkout, 'node_modules'))
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], checkout)
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[]
  tarball = path.join(work, info!.filename)
  assert.deepEqual([...new Set(info!.files.map((f) => f.path.split('/')[0]))].sort(), ['README.md', 'bin', 'dist', 'package.json'], 'only what a user needs: no tests, fixtures or sources')
  assert.ok(info!.files.some((f) => f.path === 'dist/lib/lakesync.mjs') && info!.files.some((f) => f.path === 'dist/types/src/index.d.ts'))
  project = path.join(work, 'project')
  await mkdir(project)
  await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'team-mirror', private: true, type: 'module' }))
  // Dependencies come from the npm cache the checkout's own install filled (the registry otherwise).
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], project)
}, { timeout: 300_000 })
after(() => rm(work, { recursive: true, force: true }))

test('the installed CLI runs the built bundle, not the TypeScript sources', async () => {
  assert.ok(!(await readdir(path.join(project, 'node_modules/lakesync'))).includes('src'), 'no sources shipped')
  const r = await run(path.join(project, 'node_modules/.bin/lakesync'), ['--version'], project)
  assert.equal(r.stdout.trim(), VERSION)
  const help = await run(path.join(project, 'node_modules/.bin/lakesync'), ['plan', '--help'], project)
  assert.match(help.stdout, /show what sync would copy/)
  const api = await run(process.execPath, ['-e', "import('lakesync').then((m) => console.log(typeof m.defineConfig, typeof m.binance.archive)); import('lakesync/plugins').then((p) => console.log(typeof p.checksums))"], project)
  assert.deepEqual(api.stdout.trim().split('\n').sort(), ['function', 'function function'])
})

test("a team's TypeScript config type-checks against the package's types, and a wrong one does not", async () => {
  const config = (concurrency: string) => `import { defineConfig, binance } from 'lakesync'
import { checksums } from 'lakesync/plugins'
export default defineConfig({
  connections: { lake: { region: 'eu-west-1' } },
  plugins: [checksums()],
  jobs: { daily: { source: binance.archive({ market: 'spot', frequency: 'daily', dataType: 'klines', symbols: ['BTCUSDT'], intervals: ['1m'], from: '-7d' }), destination: 's3://lake/raw/', connection: 'lake', concurrency: ${concurrency} } },
})
`
  // As \`tsc --init\` sets it up: strict, NodeNext, skipLibCheck.
  await writeFile(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['lakesync.config.ts'] }))
  const tsc = path.join(ROOT, 'node_modules/.bin/tsc')
  await writeFile(path.join(project, 'lakesync.config.ts'), config('64'))
  await run(tsc, ['-p', '.'], project)
  await writeFile(path.join(project, 'lakesync.config.ts'), config("'many'"))
  const wrong = await exec(tsc, ['-p', '.'], env, project)
  assert.notEqual(wrong.code, 0)
  assert.match(wrong.stdout, /lakesync\.config\.ts.*Type 'string' is not assignable to type 'number'/s)
})
