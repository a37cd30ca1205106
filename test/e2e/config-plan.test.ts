import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startS3Server, serverKinds, type S3TestServer } from '../helpers/s3-server.ts'
import { runCli } from '../helpers/cli.ts'
import { snapshot } from '../helpers/buckets.ts'
import { generatedKlines, putAll } from '../../scripts/lib/seed.ts'

const STARTER_EDITED = '// edited by its team\nexport default { jobs: {} }\n'

for (const kind of serverKinds()) {
  describe(`config files and plan on ${kind}`, { concurrency: false }, () => {
    let server: S3TestServer
    let dir: string
    before(async () => {
      server = await startS3Server(kind, { buckets: ['src-bucket', 'dst-bucket'] })
      const client = server.client()
      await putAll(client, 'src-bucket', generatedKlines({ symbols: ['BTCUSDT', 'ETHUSDT'], intervals: ['1h'], days: 5 }))
      client.destroy()
      dir = await mkdtemp(path.join(tmpdir(), 'lakesync-team-'))
      // A team's config: TypeScript, importing lakesync and a shared module of its own.
      await writeFile(path.join(dir, 'connections.ts'), `import type { ConnectionConfig } from 'lakesync'
export const lake: ConnectionConfig = { endpoint: process.env.TEST_ENDPOINT, region: 'us-east-1' }
`)
      await writeFile(path.join(dir, 'lakesync.config.ts'), `import { defineConfig, s3 } from 'lakesync'
import { writeFileSync } from 'node:fs'
import { lake } from './connections.ts'

export default defineConfig({
  connections: { lake },
  jobs: {
    btc: {
      source: 's3://src-bucket/data/spot/daily/klines/',
      destination: s3('s3://dst-bucket/raw/klines/', { connection: 'lake' }),
      connection: 'lake',
      include: ['BTCUSDT/**'],
      exclude: ['**/*.CHECKSUM'],
    },
    all: { source: 's3://src-bucket/', destination: 's3://dst-bucket/all/', connection: 'lake' },
  },
  hooks: {
    afterJob: (summary) => writeFileSync('after-' + summary.job + '.json', JSON.stringify(summary)),
  },
})
`)
    })
    after(() => server?.stop())
    const env = () => ({ ...server.env, TEST_ENDPOINT: server.endpoint })

    test('plan shows what would be copied and what it costs, and changes nothing', async () => {
      const r = await runCli(['plan', 'btc'], { env: env(), cwd: dir })
      assert.equal(r.code, 0, r.stderr)
      const planned = r.stdout.split('\n').filter((l) => l.startsWith('btc: planned '))
      assert.equal(planned.length, 5)
      assert.ok(planned.every((l) => /BTCUSDT\/1h\/BTCUSDT-1h-2024-01-0\d\.zip" \(missing at destination\)/.test(l)), planned.join('\n'))
      assert.match(r.stdout, /btc: would copy 5 \(.+\), skip 0/)
      // The lean engine's copies are proven by their answers: no size checks.
      assert.match(r.stdout, /requests: ListObjectsV2 \d+.* \(a run would add CopyObject 5\)/)
      assert.match(r.stdout, /bytes through this host: 0 B/)
      const client = server.client()
      assert.equal((await snapshot(client, 'dst-bucket')).size, 0, 'plan wrote nothing')
      client.destroy()
    })

    test('sync of one named job copies only what its filters select, and runs config hooks', async () => {
      const r = await runCli(['sync', 'btc'], { env: env(), cwd: dir })
      assert.equal(r.code, 0, r.stderr)
      const client = server.client()
      const dest = await snapshot(client, 'dst-bucket')
      client.destroy()
      assert.deepEqual([...dest.keys()], [1, 2, 3, 4, 5].map((d) => `raw/klines/BTCUSDT/1h/BTCUSDT-1h-2024-01-0${d}.zip`))
      const summary = JSON.parse(await readFile(path.join(dir, 'after-btc.json'), 'utf8'))
      assert.equal(summary.copied, 5)
    })

    test('init writes a starter config and never overwrites one', async () => {
      const fresh = await mkdtemp(path.join(tmpdir(), 'lakesync-init-'))
      const first = await runCli(['init'], { cwd: fresh })
      assert.equal(first.code, 0, first.stderr)
      assert.match(await readFile(path.join(fresh, 'lakesync.config.ts'), 'utf8'), /defineConfig/)
      await writeFile(path.join(fresh, 'lakesync.config.ts'), STARTER_EDITED)
      const again = await runCli(['init'], { cwd: fresh })
      assert.equal(again.code, 2)
      assert.match(again.stderr, /already exists; not overwritten/)
      assert.equal(await readFile(path.join(fresh, 'lakesync.config.ts'), 'utf8'), STARTER_EDITED, 'the edited config is untouched')
      const forced = await runCli(['init', '--force'], { cwd: fresh })
      assert.equal(forced.code, 0, forced.stderr)
      assert.notEqual(await readFile(path.join(fresh, 'lakesync.config.ts'), 'utf8'), STARTER_EDITED, '--force replaced the edited config')
      // The starter parses and validates: doctor gets as far as the (unreachable) buckets, and names where it really went.
      const doctor = await runCli(['doctor'], { cwd: fresh, env: { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' } })
      assert.equal(doctor.code, 4, doctor.stdout + doctor.stderr)
      assert.doesNotMatch(doctor.stdout + doctor.stderr, /lakesync\.config\.ts:/)
      assert.match(doctor.stdout + doctor.stderr, /endpoint http:\/\/127\.0\.0\.1:9 \(from AWS_ENDPOINT_URL\) is unreachable/)
    })

    test('init --from-legacy converts the legacy JSON and names what it could not map; a file that is not JSON is exit 2', async () => {
      const fresh = await mkdtemp(path.join(tmpdir(), 'lakesync-legacy-'))
      await writeFile(path.join(fresh, 'legacy.json'), JSON.stringify({ enable_s3_direct_sync: true, destination_bucket: 'acme-lake', destination_prefix: 'raw/', operation_mode: 'auto', retry_count: 3 }))
      const r = await runCli(['init', '--from-legacy', 'legacy.json'], { cwd: fresh })
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stderr, /lakesync: not converted: retry_count: 3/)
      assert.match(await readFile(path.join(fresh, 'lakesync.config.ts'), 'utf8'), /s3:\/\/acme-lake\/raw\//)
      await writeFile(path.join(fresh, 'broken.json'), '{ not json')
      const bad = await runCli(['init', '--from-legacy', 'broken.json', '--force'], { cwd: fresh })
      assert.equal(bad.code, 2)
      assert.match(bad.stderr, /broken\.json: cannot read it as JSON/)
    })

    test('a config that is a function of { command, env }: --env and LAKESYNC_ENV choose the settings', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'lakesync-env-'))
      await writeFile(path.join(dir, 'lakesync.config.ts'), `import { defineConfig } from 'lakesync'
export default defineConfig(({ command, env }) => ({
  connections: { local: { endpoint: process.env.E } },
  jobs: { mirror: { source: 's3://src-bucket/', destination: \`s3://dst-bucket/\${env ?? 'dev'}/\${command}/\`, connection: 'local' } },
}))
`)
      const run = (args: string[], extra: Record<string, string> = {}) => runCli(['plan', ...args], { env: { ...server.env, E: server.endpoint, ...extra }, cwd: dir })
      const dev = await run([])
      assert.equal(dev.code, 0, dev.stderr)
      assert.match(dev.stdout, /-> s3:\/\/dst-bucket\/dev\/plan\//)
      assert.match((await run(['--env', 'production'])).stdout, /-> s3:\/\/dst-bucket\/production\/plan\//)
      assert.match((await run([], { LAKESYNC_ENV: 'staging' })).stdout, /-> s3:\/\/dst-bucket\/staging\/plan\//)
      assert.match((await run(['--env', 'production'], { LAKESYNC_ENV: 'staging' })).stdout, /production/, '--env wins over LAKESYNC_ENV')
    })

    test('init refuses where any config exists, and leaves it as it was', async () => {
      for (const [name, text] of [['lakesync.config.ts', '// mine\n'], ['lakesync.config.mjs', 'export default { jobs: {} }\n'], ['lakesync.config.json', '{"jobs":{}}\n'], ['package.json', '{"name":"x","lakesync":{"jobs":{}}}\n']]) {
        const dir = await mkdtemp(path.join(tmpdir(), 'lakesync-init-'))
        await writeFile(path.join(dir, name!), text!)
        const r = await runCli(['init'], { cwd: dir })
        assert.equal(r.code, 2, `${name}: ${r.stdout}${r.stderr}`)
        assert.match(r.stderr, new RegExp(`${name!.replace(/\./g, '\\.')}: already exists; not overwritten`))
        assert.equal(await readFile(path.join(dir, name!), 'utf8'), text, 'untouched')
        assert.deepEqual(await readdir(dir), [name], 'no lakesync.config.ts beside it')
      }
    })
  })
}
