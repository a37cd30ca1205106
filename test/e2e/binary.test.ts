import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { exec as execProgram } from '../../src/util/exec.ts'
import { copyFile, mkdir, mkdtemp, readdir, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startS3Server, type S3TestServer } from '../helpers/s3-server.ts'
import { snapshot } from '../helpers/buckets.ts'
import { logOutput, runCli } from '../helpers/cli.ts'
import { generatedKlines, putAll } from '../../scripts/lib/seed.ts'
import { ROOT, TOOLS_BIN } from '../helpers/paths.ts'
import { VERSION } from '../../src/api/version.ts'

describe('the single binary and Deno', { concurrency: false }, () => {
  let server: S3TestServer
  let work: string
  let binary: string
  let team: string
  let tools: string
  // Journals go where scripts/test.sh searches them for secrets.
  const env = (pathDirs: string[]) => ({ PATH: pathDirs.join(':'), HOME: work, ...server.env, E: server.endpoint, ...(process.env.LAKESYNC_STATE_DIR ? { LAKESYNC_STATE_DIR: process.env.LAKESYNC_STATE_DIR } : {}) })
  const exec = async (cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string) => {
    const r = await execProgram(cmd, args, env, cwd)
    logOutput(`${path.basename(cmd)} ${args.join(' ')}`, r.stdout, r.stderr)
    return r
  }

  before(async () => {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts/build-binary.mjs')], { stdio: 'ignore' })
    execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { stdio: 'ignore' })
    server = await startS3Server('versitygw', { buckets: ['archive', 'lake'] })
    const client = server.client()
    await putAll(client, 'archive', generatedKlines({ symbols: ['BTCUSDT', 'ETHUSDT'], intervals: ['1h'], days: 10 }))
    client.destroy()
    // A bastion host: the binary alone in a folder, s5cmd on PATH, no node, no node_modules.
    work = await mkdtemp(path.join(tmpdir(), 'lakesync-bastion-'))
    binary = path.join(work, 'bin', 'lakesync')
    await mkdir(path.dirname(binary))
    await copyFile(path.join(ROOT, 'dist/lakesync'), binary)
    tools = path.join(work, 'tools')
    await mkdir(tools)
    for (const t of ['s5cmd', 'versitygw']) await symlink(path.join(TOOLS_BIN, t), path.join(tools, t))
    team = path.join(work, 'team')
    await mkdir(team)
    await writeFile(path.join(team, 'connections.ts'), `import type { ConnectionConfig } from 'lakesync'
export const local: ConnectionConfig = { endpoint: process.env.E, region: 'us-east-1' }
`)
    await writeFile(path.join(team, 'lakesync.config.ts'), `import { defineConfig, s3 } from 'lakesync'
import { autoMode, fallback } from 'lakesync/plugins'
import { local } from './connections.ts'

export default defineConfig({
  connections: { local },
  jobs: {
    klines: { source: 's3://archive/data/', destination: s3('s3://lake/' + (process.env.DEST ?? 'binary') + '/', { connection: 'local' }), connection: 'local' },
  },
  plugins: [autoMode(), fallback()],
})
`)
  })
  after(() => server?.stop())

  test('the binary runs with no node on PATH: --version, plan, sync, a re-run, verify, doctor, init, bench', async () => {
    const run = (args: string[], extra: Record<string, string> = {}, cwd = team) => exec(binary, args, { ...env([tools]), ...extra }, cwd)
    // /bin/sh by its path: with PATH=tools a bare `sh` is not found either, which proves nothing.
    const probe = spawnSync('/bin/sh', ['-c', 'command -v node || echo "no node"'], { env: env([tools]), encoding: 'utf8' })
    assert.equal(probe.stdout.trim(), 'no node', 'no node on PATH')
    const version = await run(['--version'])
    assert.equal(version.stdout.trim(), VERSION)
    // A V8 warning here (e.g. "Code cache data rejected" when the cache and the binary's flags differ) reaches every user.
    assert.equal(version.stderr, '', 'the binary starts without warnings')
    // The binary measures help columns through the bundle's string-width front (scripts/lib).
    const help = await run(['sync', '--help'])
    assert.equal(help.stdout, (await runCli(['sync', '--help'])).stdout, 'the binary prints the help the source prints')
    assert.match(help.stdout, /--from +ad-hoc job without a config/)
    const plan = await run(['plan'])
    assert.equal(plan.code, 0, plan.stderr)
    assert.match(plan.stdout, /would copy 40 /)
    const sync = await run(['sync'])
    assert.equal(sync.code, 0, sync.stderr)
    assert.match(sync.stdout, /engine lean, fastest per copied object/)
    assert.match(sync.stdout, /copied 40 /)
    const again = await run(['sync'])
    assert.match(again.stdout, /copied 0 .*skipped 40/)
    const client = server.client()
    assert.deepEqual([...(await snapshot(client, 'lake', 'binary/'))], [...(await snapshot(client, 'archive', 'data/'))])
    client.destroy()
    const verify = await run(['verify'])
    assert.equal(verify.code, 0, verify.stdout + verify.stderr)
    assert.match(verify.stdout, /20 match their sidecar/)
    const doctor = await run(['doctor'])
    assert.equal(doctor.code, 0, doctor.stdout)
    assert.match(doctor.stdout, /ok\s+s5cmd/)
    const fresh = path.join(work, 'fresh')
    await mkdir(fresh)
    const init = await run(['init'], {}, fresh)
    assert.equal(init.code, 0, init.stderr)
    assert.deepEqual(await readdir(fresh), ['lakesync.config.ts'])
    const out = path.join(work, 'bench')
    const bench = await run(['bench', '--local', '--objects', '3', '--size', '10KB', '--rounds', '1', '--out', out])
    assert.equal(bench.code, 0, bench.stderr)
    assert.deepEqual((await readdir(out)).sort(), ['report.json', 'report.md', 'report.svg'])
  })

  test('without s5cmd the binary copies with its own engine; asked for s5cmd, it says s5cmd is missing (exit 4)', async () => {
    const r = await exec(binary, ['sync'], { ...env([path.join(work, 'bin')]), DEST: 'sdk-only' }, team)
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /engine lean/)
    const s5cmd = await exec(binary, ['sync', '--engine', 's5cmd'], { ...env([path.join(work, 'bin')]), DEST: 'sdk-only' }, team)
    assert.equal(s5cmd.code, 4, s5cmd.stdout + s5cmd.stderr)
    assert.match(s5cmd.stderr, /--engine s5cmd is not usable: s5cmd not found/)
    assert.match(r.stdout, /copied 40 /)
  })

  test('the CLI runs under Deno: a real sync of the same config, then a re-run that copies nothing', async () => {
    const deno = path.join(TOOLS_BIN, 'deno')
    const args = ['run', '--allow-all', path.join(ROOT, 'dist/lib/lakesync.mjs'), 'sync']
    const r = await exec(deno, args, { ...env([tools]), DEST: 'deno', DENO_NO_UPDATE_CHECK: '1' }, team)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /copied 40 /)
    const again = await exec(deno, args, { ...env([tools]), DEST: 'deno', DENO_NO_UPDATE_CHECK: '1' }, team)
    assert.match(again.stdout, /copied 0 .*skipped 40/)
  })
})
