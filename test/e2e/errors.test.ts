import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { freePort, startS3Server, serverKinds, type S3TestServer } from '../helpers/s3-server.ts'
import { runCli, type CliResult } from '../helpers/cli.ts'

const WRONG_SECRET = 'wrong-secret-never-printed-0123456789'
const noStack = (r: CliResult) => assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace without --verbose')

for (const kind of serverKinds()) {
  describe(`errors on ${kind}`, () => {
    let server: S3TestServer
    // Every run of this suite is checked for the credentials it was given, as it ends.
    const run = async (args: string[], env?: Record<string, string>, cwd?: string) => {
      const r = await runCli(args, { env: env ?? server.env, cwd })
      for (const secret of [server.secretAccessKey, WRONG_SECRET]) assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), `a secret leaked: lakesync ${args.join(' ')}`)
      return r
    }
    before(async () => {
      server = await startS3Server(kind, { buckets: ['src-bucket', 'dst-bucket'] })
    })
    after(async () => {
      await server?.stop()
    })

    test('a config with three mistakes reports all three, with file and field, exit 2', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'lakesync-cfg-'))
      await writeFile(path.join(dir, 'lakesync.config.ts'), `import { defineConfig } from 'lakesync'
export default defineConfig({
  connections: { lake: { endpoint: '${server.endpoint}' } },
  jobs: {
    daily: { source: 's3://src-bucket/data/', destination: 'my-bucket', connection: 'lake' },
    weekly: { source: 's3://src-bucket/w/', destination: 's3://dst-bucket/w/', connection: 'lakehouse', concurrency: 0 },
  },
})
`)
      const r = await run(['sync'], server.env, dir)
      assert.equal(r.code, 2)
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('lakesync: '))
      assert.deepEqual(lines, [
        'lakesync: lakesync.config.ts: jobs.daily.destination: expected s3://bucket/prefix/, got "my-bucket"',
        'lakesync: lakesync.config.ts: jobs.weekly.connection: unknown connection "lakehouse"; define it under connections (known: lake)',
        'lakesync: lakesync.config.ts: jobs.weekly.concurrency: expected a whole number from 1 to 4096, got 0',
      ])
      noStack(r)
    })

    test('a missing bucket: exit 4, one line naming it', async () => {
      const r = await run(['sync', '--from', 's3://no-such-bucket/x/', '--to', 's3://dst-bucket/x/', '--endpoint', server.endpoint])
      assert.equal(r.code, 4)
      assert.match(r.stderr, /^lakesync: source s3:\/\/no-such-bucket\/x\/: bucket "no-such-bucket" does not exist on http:\/\/127\.0\.0\.1:\d+$/m)
      noStack(r)
      const verbose = await run(['sync', '--from', 's3://no-such-bucket/x/', '--to', 's3://dst-bucket/x/', '--endpoint', server.endpoint, '--verbose'])
      assert.equal(verbose.code, 4)
      assert.match(verbose.stderr, /^\s+at /m, '--verbose shows the stack')
    })

    test('an unreachable endpoint: exit 4, one line', async () => {
      const port = await freePort()
      const r = await run(['sync', '--from', 's3://src-bucket/', '--to', 's3://dst-bucket/', '--endpoint', `http://127.0.0.1:${port}`])
      assert.equal(r.code, 4)
      assert.match(r.stderr, new RegExp(`^lakesync: source s3://src-bucket/: endpoint http://127.0.0.1:${port} is unreachable \\(ECONNREFUSED\\)$`, 'm'))
      noStack(r)
    })

    test('wrong credentials: exit 4, and the secret is never printed', { skip: kind === 'moto' && 'moto accepts any credentials' }, async () => {
      const r = await run(['sync', '--from', 's3://src-bucket/', '--to', 's3://dst-bucket/', '--endpoint', server.endpoint, '--verbose'], { ...server.env, AWS_SECRET_ACCESS_KEY: WRONG_SECRET })
      assert.equal(r.code, 4)
      assert.match(r.stderr, /^lakesync: source s3:\/\/src-bucket\/: access refused by http:\/\/127\.0\.0\.1:\d+ \(SignatureDoesNotMatch\)$/m)
    })

    test('bad flags: exit 2 with the reason', async () => {
      const r = await run(['sync', '--from', 's3://src-bucket/', '--to', 'dst-bucket', '--endpoint', server.endpoint])
      assert.equal(r.code, 2)
      assert.match(r.stderr, /^lakesync: --to: expected s3:\/\/bucket\/prefix\/, got "dst-bucket"$/m)
      const unknown = await run(['sync', 'nosuchjob', '--from', 's3://src-bucket/', '--to', 's3://dst-bucket/', '--endpoint', server.endpoint])
      assert.equal(unknown.code, 2)
      assert.match(unknown.stderr, /job "nosuchjob" is not defined/)
    })
  })
}
