import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { exec as execProgram } from '../../src/util/exec.ts'
import { copyFile, mkdir, mkdtemp, open, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startS3Server, type S3TestServer } from '../helpers/s3-server.ts'
import { startAwsBed } from '../helpers/aws-bed.ts'
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
  after(async () => {
    await server?.stop()
    if (work) await rm(work, { recursive: true, force: true })
  })

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
    // The binary bundles only the SDK commands it uses (scripts/lib/narrow-aws-clients.mjs): their error answers still read as such.
    const refused = await run(['sync'], { AWS_SECRET_ACCESS_KEY: 'not-the-secret' })
    assert.equal(refused.code, 4, refused.stdout + refused.stderr)
    assert.match(refused.stderr, /access refused by .*\((SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied)\)/)
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

  test('with no s5cmd on the host the binary writes out its own, checks it by SHA-256, and falls back to lean where it cannot', async () => {
    const cache = path.join(work, 'cache')
    const bare = (dest: string, extra: Record<string, string> = {}) => ({ ...env([path.join(work, 'bin')]), DEST: dest, LAKESYNC_CACHE_DIR: cache, ...extra })
    const lean = await exec(binary, ['sync'], bare('lean-only'), team)
    assert.equal(lean.code, 0, lean.stderr)
    assert.match(lean.stdout, /engine lean/)
    assert.match(lean.stdout, /copied 40 /)
    await assert.rejects(readdir(cache), 'a run that copies with lean leaves the cache alone')

    const first = await exec(binary, ['sync', '--engine', 's5cmd'], bare('embedded'), team)
    assert.equal(first.code, 0, first.stdout + first.stderr)
    assert.match(first.stdout, /engine s5cmd v2\.3\.0-991c9fb \(the binary's own, .*cache\/s5cmd-v2\.3\.0-991c9fb-[0-9a-f]{12}\) requested/)
    assert.match(first.stdout, /copied 40 /)
    const [cached] = await readdir(cache)
    const written = await stat(path.join(cache, cached!))
    const client = server.client()
    assert.deepEqual([...(await snapshot(client, 'lake', 'embedded/'))], [...(await snapshot(client, 'archive', 'data/'))])

    const second = await exec(binary, ['sync', '--engine', 's5cmd'], bare('embedded-again'), team)
    assert.equal(second.code, 0, second.stderr)
    assert.equal((await stat(path.join(cache, cached!))).mtimeMs, written.mtimeMs, 'the second run reuses the cached copy')
    assert.doesNotMatch(second.stderr, /written again/)

    // One flipped byte in the middle: same size, different digest.
    const file = await open(path.join(cache, cached!), 'r+')
    await file.write(Buffer.from([0x42]), 0, 1, Math.floor(written.size / 2))
    await file.close()
    const third = await exec(binary, ['sync', '--engine', 's5cmd'], bare('repaired'), team)
    assert.equal(third.code, 0, third.stdout + third.stderr)
    assert.match(third.stderr, /the cached s5cmd failed its SHA-256 check and was written again/)
    assert.match(third.stdout, /copied 40 /)
    assert.deepEqual(await readdir(cache), [cached], 'replaced in place, no temporary left behind')
    assert.deepEqual([...(await snapshot(client, 'lake', 'repaired/'))], [...(await snapshot(client, 'archive', 'data/'))])
    client.destroy()

    // A cache dir that cannot be made (a path under a file) must not stop the copy.
    const blocked = await exec(binary, ['sync', '--engine', 's5cmd'], bare('blocked', { LAKESYNC_CACHE_DIR: path.join(binary, 'cache') }), team)
    assert.equal(blocked.code, 0, blocked.stdout + blocked.stderr)
    assert.match(blocked.stdout, /engine lean, since the binary's own s5cmd is unusable: cannot write it to .*ENOTDIR.*set LAKESYNC_CACHE_DIR to a writable folder/)
    assert.match(blocked.stdout, /copied 40 /)
  })

  test("on the AWS-shaped bed, the binary and its own s5cmd trust AWS_CA_BUNDLE: the archive copied server-side into a lake in another region", async () => {
    const bed = await startAwsBed({ regions: ['ap-northeast-1'], identities: ['binance', 'lake'] })
    try {
      await bed.bucket('data.binance.vision', { region: 'ap-northeast-1', owner: 'binance', public: true })
      for (const lake of ['bin-lean', 'bin-s5cmd']) await bed.bucket(lake, { region: 'us-east-1', owner: 'lake' })
      const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)
      await putAll(bed.backend(), 'data.binance.vision', generatedKlines({ symbols: ['BTCUSDT'], intervals: ['1h'], days: 1, start: `${yesterday}T00:00:00Z` }))
      const lake = bed.identities.lake!
      const bedEnv = { PATH: path.join(work, 'bin'), HOME: work, LAKESYNC_CACHE_DIR: path.join(work, 'aws-cache'), AWS_ACCESS_KEY_ID: lake.accessKeyId, AWS_SECRET_ACCESS_KEY: lake.secretAccessKey, ...bed.env, ...(process.env.LAKESYNC_STATE_DIR ? { LAKESYNC_STATE_DIR: process.env.LAKESYNC_STATE_DIR } : {}) }
      for (const engine of ['lean', 's5cmd']) {
        // `lakesync init --binance` with only the lake bucket's name edited; no s5cmd on PATH: the binary's own.
        const dir = path.join(work, `aws-${engine}`)
        await mkdir(dir)
        assert.equal((await exec(binary, ['init', '--binance'], bedEnv, dir)).code, 0)
        const config = path.join(dir, 'lakesync.config.ts')
        await writeFile(config, (await readFile(config, 'utf8')).replaceAll('lake-bucket', `bin-${engine}`))
        const r = await exec(bed.wrap[0]!, [...bed.wrap.slice(1), binary, 'sync', '--engine', engine], bedEnv, dir)
        assert.equal(r.code, 0, r.stdout + r.stderr)
        assert.match(r.stdout, new RegExp(`mode direct, engine ${engine} .*\\(direct: one S3 service \\(AWS, ap-northeast-1 -> us-east-1\\)`))
        assert.match(r.stdout, /copied 2 /)
      }
      const copies = bed.log.filter((q) => q.operation === 'CopyObject').map((q) => `${q.host} ${q.status}`).sort()
      // s5cmd names us-east-1 by S3's global host, which serves that region too.
      assert.deepEqual(copies, ['bin-lean.s3.us-east-1.amazonaws.com 200', 'bin-lean.s3.us-east-1.amazonaws.com 200', 'bin-s5cmd.s3.amazonaws.com 200', 'bin-s5cmd.s3.amazonaws.com 200'])
      assert.equal(bed.objectBytes().zip, 0)
    } finally {
      await bed.stop()
    }
  })

  test('no bash needed: with bash gone from the machine (a mount namespace where it is an empty file), the binary copies with s5cmd', async () => {
    const bashes = ['/bin/bash', '/usr/bin/bash'].filter((b) => spawnSync('test', ['-e', b]).status === 0)
    // Each bash is covered by /dev/null, then the binary runs; the probe shows bash no longer runs there.
    // By their paths: PATH holds only the tools folder here.
    const hide = bashes.map((b) => `/usr/bin/mount --bind /dev/null ${b}`).join(' && ')
    const script = `${hide} && { /bin/bash -c true 2>/dev/null && echo "bash still runs" || echo "no bash"; } && exec "$@"`
    const r = await exec('/usr/bin/unshare', ['-m', '/bin/sh', '-c', script, 'sh', binary, 'sync', '--engine', 's5cmd'], { ...env([tools]), DEST: 'no-bash' }, team)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /^no bash$/m, 'bash was hidden')
    assert.match(r.stdout, /engine s5cmd/)
    assert.match(r.stdout, /copied 40 /)
  })

  test('the CLI runs under Deno with the README\'s narrow permissions: a real sync of the same config, then a re-run that copies nothing', async () => {
    const deno = path.join(TOOLS_BIN, 'deno')
    // The set README.md gives: writes in /tmp only (and the temp folder, should TMPDIR lie elsewhere), where this suite's state dir and home are.
    const args = ['run', '--allow-read', `--allow-write=/tmp,${tmpdir()}`, '--allow-env', '--allow-net', '--allow-run', '--allow-sys', path.join(ROOT, 'dist/lib/lakesync.mjs'), 'sync']
    const r = await exec(deno, args, { ...env([tools]), DEST: 'deno', DENO_NO_UPDATE_CHECK: '1' }, team)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /copied 40 /)
    assert.doesNotMatch(r.stderr, /warning|NotCapable|PermissionDenied/i, 'nothing the narrow permissions refused')
    const again = await exec(deno, args, { ...env([tools]), DEST: 'deno', DENO_NO_UPDATE_CHECK: '1' }, team)
    assert.match(again.stdout, /copied 0 .*skipped 40/)
  })
})
