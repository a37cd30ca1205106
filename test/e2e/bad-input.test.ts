import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startS3Server, type S3TestServer } from '../helpers/s3-server.ts'
import { runCli } from '../helpers/cli.ts'
import { ROOT } from '../helpers/paths.ts'

/** A config file's text around one job, with the server's endpoint as connection "local". */
const config = (job: string, extra = '') => `import { defineConfig, binance, s3 } from 'lakesync'
export default defineConfig({
  connections: { local: { endpoint: process.env.E } },
  jobs: { j: ${job} },
  ${extra}
})
`
const ok = "{ source: 's3://src-bucket/', destination: 's3://dst-bucket/x/', connection: 'local' }"

interface Case {
  name: string
  args?: string[]
  file?: string
  /** Raw file content instead of a config around a job. */
  raw?: string
  env?: Record<string, string>
  code: number
  /** The one line that must name the problem. */
  line: RegExp
  /** How many problem lines, when a config has several (default 1). */
  problems?: number
}

const CASES: Case[] = [
  { name: 'unknown top-level key', file: config(ok, 'colour: "red",'), code: 2, line: /lakesync\.config\.ts: colour: unknown field; expected one of connections, jobs/ },
  { name: 'unknown job key', file: config("{ source: 's3://src-bucket/', destination: 's3://dst-bucket/x/', connection: 'local', destinaton: 1 }"), code: 2, line: /jobs\.j\.destinaton: unknown field/ },
  { name: 'unknown connection key', file: config(ok).replace("{ endpoint: process.env.E }", "{ endpoint: process.env.E, secret: 'x' }"), code: 2, line: /connections\.local\.secret: unknown field/ },
  { name: 'source not a string', file: config("{ source: 42, destination: 's3://dst-bucket/x/' }"), code: 2, line: /jobs\.j\.source: expected s3:\/\/bucket\/prefix\/ .*got 42/ },
  { name: 'malformed URL scheme', file: config("{ source: 'https://src-bucket/', destination: 's3://dst-bucket/x/' }"), code: 2, line: /jobs\.j\.source: expected s3:\/\/bucket\/prefix\/, got "https:\/\/src-bucket\/"/ },
  { name: 'prefix without trailing slash', file: config("{ source: 's3://src-bucket/data', destination: 's3://dst-bucket/x/' }"), code: 2, line: /a prefix must end with "\/" \(write "s3:\/\/src-bucket\/data\/"\)/ },
  { name: 'invalid bucket name', file: config("{ source: 's3://Src_Bucket/', destination: 's3://dst-bucket/x/' }"), code: 2, line: /"Src_Bucket" is not a valid bucket name/ },
  { name: 'missing destination', file: config("{ source: 's3://src-bucket/' }"), code: 2, line: /jobs\.j\.destination: missing; expected s3:\/\/bucket\/prefix\// },
  { name: 'same prefix both sides', file: config("{ source: 's3://src-bucket/a/', destination: 's3://src-bucket/a/', connection: 'local' }"), code: 2, line: /jobs\.j: source and destination are the same place/ },
  { name: 'destination inside source', file: config("{ source: 's3://src-bucket/a/', destination: 's3://src-bucket/a/copy/', connection: 'local' }"), code: 2, line: /destination s3:\/\/src-bucket\/a\/copy\/ lies inside the source .* copy into itself/ },
  { name: 'source inside destination', file: config("{ source: 's3://src-bucket/a/b/', destination: 's3://src-bucket/a/', connection: 'local' }"), code: 2, line: /source s3:\/\/src-bucket\/a\/b\/ lies inside the destination/ },
  { name: 'endpoint not a URL', file: config(ok).replace('process.env.E', "'localhost:9000'"), code: 2, line: /connections\.local\.endpoint: expected an http:\/\/ or https:\/\/ URL/ },
  { name: 'anonymous is a string', file: config(ok).replace('{ endpoint: process.env.E }', "{ endpoint: process.env.E, anonymous: 'yes' }"), code: 2, line: /connections\.local\.anonymous: expected true or false, got "yes"/ },
  { name: 'credentials incomplete (value never echoed)', file: config(ok).replace('{ endpoint: process.env.E }', "{ endpoint: process.env.E, credentials: { accessKeyId: 'AK', secretAccessKey: '' } }"), code: 2, line: /connections\.local\.credentials: expected \{ accessKeyId, secretAccessKey \}/ },
  { name: 'unknown connection reference', file: config("{ source: 's3://src-bucket/', destination: 's3://dst-bucket/x/', connection: 'lake' }"), code: 2, line: /jobs\.j\.connection: unknown connection "lake"; define it under connections \(known: local\)/ },
  { name: 'concurrency zero', file: config("{ source: 's3://src-bucket/', destination: 's3://dst-bucket/x/', connection: 'local', concurrency: 0 }"), code: 2, line: /jobs\.j\.concurrency: expected a whole number from 1 to 4096, got 0/ },
  { name: 'concurrency negative (flag)', file: config(ok), args: ['--concurrency', '-5'], code: 2, line: /--concurrency: expected a whole number from 1 to 4096, got -5/ },
  { name: 'concurrency huge (flag)', file: config(ok), args: ['--concurrency', '100000'], code: 2, line: /--concurrency: expected a whole number from 1 to 4096, got 100000/ },
  { name: 'concurrency not a number', file: config("{ source: 's3://src-bucket/', destination: 's3://dst-bucket/x/', connection: 'local', concurrency: 'fast' }"), code: 2, line: /jobs\.j\.concurrency: expected a whole number/ },
  { name: 'unknown mode', file: config(ok), args: ['--mode', 'fast'], code: 2, line: /Invalid values:\s+Argument: mode, Given: "fast", Choices: "auto", "direct", "traditional"/ },
  { name: 'include not a list', file: config("{ source: 's3://src-bucket/', destination: 's3://dst-bucket/x/', connection: 'local', include: '*.zip' }"), code: 2, line: /jobs\.j\.include: expected an array of glob strings/ },
  { name: 'quarantine without slash', file: config("{ source: 's3://src-bucket/', destination: 's3://dst-bucket/x/', connection: 'local', quarantine: 'bad' }"), code: 2, line: /jobs\.j\.quarantine: expected a prefix ending with "\/"/ },
  { name: 'impossible Binance selector: fundingRate daily', file: config("{ source: binance.archive({ market: 'futures/um', frequency: 'daily', dataType: 'fundingRate', symbols: ['BTCUSDT'] }), destination: 's3://dst-bucket/x/' }"), code: 2, line: /jobs\.j\.source\.frequency: fundingRate on futures\/um is monthly only, not daily/ },
  { name: 'impossible Binance selector: 1s on futures', file: config("{ source: binance.archive({ market: 'futures/cm', frequency: 'daily', dataType: 'klines', symbols: ['BTCUSD_PERP'], intervals: ['1s'] }), destination: 's3://dst-bucket/x/' }"), code: 2, line: /1s klines exist for spot only/ },
  { name: 'Binance market unknown', file: config("{ source: binance.archive({ market: 'margin', frequency: 'daily', dataType: 'klines', symbols: ['X'], intervals: ['1m'] } as any), destination: 's3://dst-bucket/x/' }"), code: 2, line: /jobs\.j\.source\.market: expected one of spot, futures\/um, futures\/cm, option/ },
  { name: 'delete on a Binance job', file: config("{ source: binance.archive({ market: 'spot', frequency: 'daily', dataType: 'klines', symbols: ['X'], intervals: ['1m'], connection: 'local' }), destination: 's3://dst-bucket/x/', connection: 'local', delete: true }"), code: 2, line: /jobs\.j\.delete: deleting is for prefix-to-prefix jobs/ },
  { name: 'config that throws', raw: "throw new Error('no endpoint configured for this team')\n", code: 2, line: /lakesync\.config\.ts: failed to load: no endpoint configured for this team/ },
  { name: 'config that exports nothing', raw: "const x = 1\n", code: 2, line: /lakesync\.config\.ts: exports nothing; expected export default defineConfig/ },
  { name: 'config with a syntax error', raw: 'export default { jobs: {\n', code: 2, line: /lakesync\.config\.ts: failed to load: .*(Unexpected|expected)/i },
  { name: 'config with top-level await', raw: 'const c = await Promise.resolve({})\nexport default c\n', code: 2, line: /config files cannot use top-level await/ },
  { name: 'unreadable config file', file: config(ok), args: ['--config', 'missing.config.ts'], code: 2, line: /missing\.config\.ts: cannot read the config file/ },
  { name: 'unknown job name', file: config(ok), args: ['nightly'], code: 2, line: /job "nightly" is not defined in lakesync\.config\.ts \(known: j\)/ },
  { name: '--from without --to', args: ['--from', 's3://src-bucket/'], code: 2, line: /--to: missing; an ad-hoc job needs both --from/ },
  // No instance-metadata lookup in these two: it would leave loopback.
  { name: 'missing credentials', file: config(ok), env: { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' }, code: 4, line: /source s3:\/\/src-bucket\/: no credentials found for connection "local"/ },
  { name: 'unknown profile', file: config(ok).replace('{ endpoint: process.env.E }', "{ endpoint: process.env.E, profile: 'nosuchprofile' }"), env: { AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' }, code: 4, line: /no credentials found for connection "local": profile "nosuchprofile" gave none/ },
  { name: 'unknown flag', file: config(ok), args: ['--concurency', '4'], code: 2, line: /Unknown arguments?: concurency/ },
]

describe('bad-input corpus: every case ends with its exit code and one line naming the problem', () => {
  let server: S3TestServer
  before(async () => {
    server = await startS3Server('versitygw', { buckets: ['src-bucket', 'dst-bucket'] })
  })
  after(() => server?.stop())

  test('docs/RELIABILITY.md counts the corpus as it is', async () => {
    const doc = await readFile(path.join(ROOT, 'docs/RELIABILITY.md'), 'utf8')
    assert.equal(Number(/\| (\d+) bad inputs:/.exec(doc)?.[1]), CASES.length)
  })
  for (const c of CASES) {
    test(c.name, async (t) => {
      const dir = await mkdtemp(path.join(tmpdir(), 'lakesync-bad-'))
      t.after(() => rm(dir, { recursive: true, force: true }))
      if (c.file ?? c.raw) await writeFile(path.join(dir, 'lakesync.config.ts'), c.raw ?? c.file!)
      const r = await runCli(['plan', ...(c.args ?? [])], { env: { ...server.env, E: server.endpoint, ...c.env }, cwd: dir })
      assert.equal(r.code, c.code, r.stderr + r.stdout)
      assert.match(r.stderr, c.line)
      // One line names each problem (a hint may follow it); several problems of one config are listed together.
      const problems = r.stderr.split('\n').filter((l) => l && !l.startsWith('  hint: '))
      assert.equal(problems.length, c.problems ?? 1, r.stderr)
      assert.ok(problems.every((l) => l.startsWith('lakesync: ')), r.stderr)
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack without --verbose')
      assert.ok(!(r.stdout + r.stderr).includes(server.secretAccessKey), 'no secret in output')
    })
  }
})
