import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { startAwsBed, type AwsBed, type BedRequest } from '../helpers/aws-bed.ts'
import { runCli, suiteStateDir } from '../helpers/cli.ts'
import { put, snapshot } from '../helpers/buckets.ts'
import { generatedKlines, putAll, withSidecar } from '../../scripts/lib/seed.ts'
import type { LakesyncEvent } from '../../src/api/events.ts'

/**
 * The archive's real route on an AWS-shaped bed (test/helpers/aws-bed.ts): the public archive in
 * ap-northeast-1 read anonymously, the lake in us-east-1 written by the lake's identity, TLS on
 * S3's own host names. lakesync runs with no endpoint configured, exactly as against AWS.
 */
const ARCHIVE = 'data.binance.vision'
const events = (stdout: string) => stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LakesyncEvent)
const of = <T extends LakesyncEvent['type']>(stdout: string, type: T) => events(stdout).filter((e): e is Extract<LakesyncEvent, { type: T }> => e.type === type)
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10)
const WRONG_REGION = new Set(['PermanentRedirect', 'AuthorizationHeaderMalformed'])

describe('the archive -> lake route on an AWS-shaped bed', { timeout: 600_000 }, () => {
  let bed: AwsBed
  let state: string
  let starter: string
  const zips = () => seeded.filter((o) => o.key.endsWith('.zip')).length
  const seeded = generatedKlines({ symbols: ['BTCUSDT', 'ETHUSDT'], intervals: ['1m', '1h'], days: 7, start: `${daysAgo(7)}T00:00:00Z` }) // the starter's window: -7d to yesterday

  before(async () => {
    bed = await startAwsBed({ regions: ['ap-northeast-1', 'eu-west-1'], identities: ['binance', 'lake', 'partner'] })
    await bed.bucket(ARCHIVE, { region: 'ap-northeast-1', owner: 'binance', public: true })
    for (const lake of ['lake-plan', 'lake-lean', 'lake-sdk', 'lake-s5cmd', 'lake-moved', 'lake-global', 'lake-kms-lean', 'lake-kms-s5cmd', 'lake-partner']) {
      await bed.bucket(lake, { region: 'us-east-1', owner: 'lake', ...(lake.startsWith('lake-kms') ? { kms: true } : {}) })
    }
    await bed.bucket('acme-lake', { region: 'eu-west-1', owner: 'lake' })
    await bed.bucket('partner-archive', { region: 'ap-northeast-1', owner: 'partner', readers: ['lake'], deniedPrefix: { lake: 'z-private/' } })
    await bed.bucket('partner-closed', { region: 'ap-northeast-1', owner: 'partner' })
    await putAll(bed.backend(), ARCHIVE, seeded)
    state = await suiteStateDir('aws-route')
    const dir = await mkdtemp(path.join(tmpdir(), 'lakesync-aws-init-'))
    const init = await runCli(['init', '--binance'], { cwd: dir })
    assert.equal(init.code, 0, init.stderr)
    starter = await readFile(path.join(dir, 'lakesync.config.ts'), 'utf8')
  })
  after(() => bed?.stop())

  const lakeEnv = () => ({ ...bed.env, AWS_ACCESS_KEY_ID: bed.identities.lake!.accessKeyId, AWS_SECRET_ACCESS_KEY: bed.identities.lake!.secretAccessKey, LAKESYNC_STATE_DIR: state })
  /** `lakesync init --binance`'s config with only the lake bucket's name edited (and, to show a redirect, its region). */
  async function starterFor(bucket: string, edit: (config: string) => string = (c) => c) {
    const dir = await mkdtemp(path.join(tmpdir(), 'lakesync-aws-'))
    await writeFile(path.join(dir, 'lakesync.config.ts'), edit(starter.replaceAll('lake-bucket', bucket)))
    return dir
  }
  const sync = (dir: string, ...args: string[]) => runCli(['sync', '--json', ...args], { cwd: dir, env: lakeEnv(), wrap: bed.wrap, pathWithTools: true })
  const requests = (operation: string, bucket?: string) => bed.log.filter((r) => r.operation === operation && (!bucket || r.bucket === bucket))
  const wrongRegion = () => bed.log.filter((r) => r.code && WRONG_REGION.has(r.code))
  const where = (r: BedRequest) => `${r.operation} ${r.host} ${r.style} signed for ${r.signedFor ?? 'none'} by ${r.identity}: ${r.status}`

  for (const engine of ['lean', 'sdk', 's5cmd']) {
    test(`init --binance, engine ${engine}: mode direct, every zip copied server-side at its region's endpoint, no object byte through this host; a second run copies nothing`, async () => {
      const lake = `lake-${engine}`
      const dir = await starterFor(lake)
      bed.reset()
      const r = await sync(dir, '--engine', engine)
      assert.equal(r.code, 0, r.stdout + r.stderr)
      const [decision] = of(r.stdout, 'decision')
      assert.equal(decision!.mode, 'direct')
      assert.match(decision!.reason, /direct: one S3 service \(AWS, ap-northeast-1 -> us-east-1\), the destination's identity can read the source/)
      assert.equal(decision!.engine, engine)
      const copies = requests('CopyObject', lake)
      assert.equal(copies.filter((c) => c.status === 200 && c.key!.endsWith('.zip')).length, zips())
      // s5cmd's SDK names us-east-1 by S3's global host, which serves that region too.
      for (const c of copies) assert.match(where(c), new RegExp(`^CopyObject ${lake}\\.s3(\\.us-east-1)?\\.amazonaws\\.com virtual signed for us-east-1 by lake: 200$`))
      // The archive is listed anonymously at its region, path-style (a dotted name); the probe asks there as the lake.
      const listings = requests('ListObjects', ARCHIVE).map(where)
      assert.ok(listings.includes('ListObjects s3.ap-northeast-1.amazonaws.com path signed for none by anonymous: 200'), listings.join('\n'))
      for (const l of listings) assert.match(l, /^ListObjects s3\.ap-northeast-1\.amazonaws\.com path signed for (none by anonymous|ap-northeast-1 by lake): 200$/)
      for (const l of requests('ListObjects', lake)) assert.equal(where(l), `ListObjects ${lake}.s3.us-east-1.amazonaws.com virtual signed for us-east-1 by lake: 200`)
      assert.deepEqual(wrongRegion().map(where), [], 'no request met a wrong-region answer')
      assert.equal(bed.objectBytes().zip, 0, 'no zip byte through this host')
      const copied = await snapshot(bed.backend(), lake, 'raw/binance/')
      const archive = await snapshot(bed.backend(), ARCHIVE)
      assert.equal(copied.size, archive.size)
      assert.deepEqual(copied, archive, "the lake holds the archive's bytes")
      bed.reset()
      const again = await sync(dir, '--engine', engine)
      assert.equal(again.code, 0, again.stderr)
      assert.equal(of(again.stdout, 'job-end')[0]!.copied, 0)
      assert.equal(requests('CopyObject').length, 0)
    })
  }

  test('plan prices the cross-region route: the planned bytes at the source region\'s inter-region rate, billed to the source bucket\'s owner', async () => {
    const dir = await starterFor('lake-plan')
    const r = await runCli(['plan'], { cwd: dir, env: lakeEnv(), wrap: bed.wrap })
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const total = seeded.reduce((n, o) => n + o.body.length, 0)
    const kb = (total / 1000).toFixed(1)
    assert.match(r.stdout, new RegExp(`cross-region: ${kb.replace('.', '\\.')} KB from ap-northeast-1 to us-east-1 at \\$0\\.09/GB ≈ \\$0\\.0000 either way, billed to the source bucket's owner`))
  })

  test("the README's Binance example, its lake in eu-west-1: direct, no zip byte through this host, a second run copies nothing", async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8')
    const example = /## The Binance archive\n\n```ts\n([\s\S]*?)```/.exec(readme)![1]!
    assert.match(example, /destination: 's3:\/\/acme-lake\/raw\/binance\/'/)
    const dir = await mkdtemp(path.join(tmpdir(), 'lakesync-aws-readme-'))
    await writeFile(path.join(dir, 'lakesync.config.ts'), example)
    bed.reset()
    const r = await sync(dir)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(of(r.stdout, 'decision')[0]!.reason, /^direct: one S3 service \(AWS, ap-northeast-1 -> eu-west-1\)/)
    assert.equal(of(r.stdout, 'job-end')[0]!.copied, seeded.length)
    assert.equal(bed.objectBytes().zip, 0)
    for (const c of requests('CopyObject')) assert.equal(where(c), 'CopyObject acme-lake.s3.eu-west-1.amazonaws.com virtual signed for eu-west-1 by lake: 200')
    const again = await sync(dir)
    assert.equal(of(again.stdout, 'job-end')[0]!.copied, 0)
  })

  test('TLS trust: AWS_CA_BUNDLE naming no file is a config error naming it; without the bed\'s CA the run stops at preflight naming the certificate', async () => {
    const dir = await starterFor('lake-lean')
    const missing = await runCli(['plan'], { cwd: dir, env: { ...lakeEnv(), AWS_CA_BUNDLE: '/nonexistent/ca.pem' }, wrap: bed.wrap })
    assert.equal(missing.code, 2, missing.stdout + missing.stderr)
    assert.match(missing.stderr, /AWS_CA_BUNDLE: cannot read \/nonexistent\/ca\.pem \(ENOENT\)/)
    const { AWS_CA_BUNDLE: _, ...untrusting } = lakeEnv() as Record<string, string>
    const untrusted = await runCli(['plan'], { cwd: dir, env: untrusting, wrap: bed.wrap })
    assert.equal(untrusted.code, 4, untrusted.stdout + untrusted.stderr)
    assert.match(untrusted.stderr, /certificate/i)
  })

  for (const [engine, answer, edit] of [
    ['lean', 'PermanentRedirect', (c: string) => c.replace("lake: { region: 'us-east-1'", "lake: { region: 'eu-west-1'")],
    ['sdk', 'PermanentRedirect', (c: string) => c.replace("lake: { region: 'us-east-1'", "lake: { region: 'eu-west-1'")],
    ['s5cmd', 'PermanentRedirect', (c: string) => c.replace("lake: { region: 'us-east-1'", "lake: { region: 'eu-west-1'")],
    ['lean', 'AuthorizationHeaderMalformed', (c: string) => c.replace("lake: { region: 'us-east-1'", "lake: { endpoint: 'https://s3.amazonaws.com', region: 'eu-west-1'")],
    ['sdk', 'AuthorizationHeaderMalformed', (c: string) => c.replace("lake: { region: 'us-east-1'", "lake: { endpoint: 'https://s3.amazonaws.com', region: 'eu-west-1'")],
    ['s5cmd', 'AuthorizationHeaderMalformed', (c: string) => c.replace("lake: { region: 'us-east-1'", "lake: { endpoint: 'https://s3.amazonaws.com', region: 'eu-west-1'")],
  ] as const) {
    test(`a lake connection naming the wrong region, engine ${engine}: S3's ${answer} is followed once, every copy then goes to us-east-1`, async () => {
      const lake = answer === 'PermanentRedirect' ? 'lake-moved' : 'lake-global'
      const dir = await starterFor(lake, (c) => edit(c).replace('raw/binance/', `${engine}/`))
      bed.reset()
      const r = await sync(dir, '--engine', engine)
      assert.equal(r.code, 0, r.stdout + r.stderr)
      assert.deepEqual(wrongRegion().map((w) => [w.operation, w.code, w.bucket]), [['HeadBucket', answer, lake]], 'one wrong-region answer, to the one HeadBucket')
      assert.match(of(r.stdout, 'decision')[0]!.reason, new RegExp(`regions: .*${lake} us-east-1 \\(S3 answered ${answer === 'PermanentRedirect' ? 301 : 400} ${answer}: followed\\)`))
      const copies = requests('CopyObject', lake)
      assert.equal(copies.length, zips() * 2)
      // s5cmd given an endpoint (here the global one, moved to us-east-1) addresses it path-style: valid on AWS too.
      const expected = engine === 's5cmd' && answer !== 'PermanentRedirect'
        ? /^CopyObject s3\.us-east-1\.amazonaws\.com path signed for us-east-1 by lake: 200$/
        : /^CopyObject lake-\w+\.s3(\.us-east-1)?\.amazonaws\.com virtual signed for us-east-1 by lake: 200$/
      for (const c of copies) assert.match(where(c), expected)
      if (engine === 'lean') {
        const doctor = await runCli(['doctor'], { cwd: dir, env: lakeEnv(), wrap: bed.wrap, pathWithTools: true })
        assert.match(doctor.stdout, new RegExp(`warn  spot-klines: bucket ${lake} is in us-east-1 \\(its connection says eu-west-1; S3 answered ${answer === 'PermanentRedirect' ? 301 : 400} ${answer}\\); set region: 'us-east-1' to save the redirect`))
      }
    })
  }

  for (const engine of ['lean', 's5cmd']) test(`an SSE-KMS lake (ETags not the MD5 of the bytes), engine ${engine}: a second run copies nothing; a same-size re-publish at the source is copied`, async () => {
    const dir = await starterFor(`lake-kms-${engine}`)
    const sync = (d: string) => runCli(['sync', '--json', '--engine', engine], { cwd: d, env: lakeEnv(), wrap: bed.wrap, pathWithTools: true })
    const first = await sync(dir)
    assert.equal(first.code, 0, first.stdout.split('\n').filter((l) => !l.includes('"copied"')).join('\n') + first.stderr)
    const again = await sync(dir)
    assert.equal(again.code, 0, again.stderr)
    assert.equal(of(again.stdout, 'job-end')[0]!.copied, 0, again.stdout.split('\n').filter((l) => l.includes('"copied"')).slice(0, 3).join('\n'))
    // One zip per engine's turn: the archive is shared.
    const key = seeded.filter((o) => o.key.endsWith('.zip'))[engine === 'lean' ? 0 : 1]!.key
    const old = seeded.find((o) => o.key === key)!.body
    const republished = Buffer.concat([Buffer.from('PK\x03\x04'), randomBytes(old.length - 4)])
    await new Promise((resolve) => setTimeout(resolve, 1100)) // a later second than the copies
    await put(bed.backend(), ARCHIVE, key, republished)
    await put(bed.backend(), ARCHIVE, `${key}.CHECKSUM`, withSidecar(key, republished)[1]!.body)
    const third = await sync(dir)
    assert.equal(third.code, 0, third.stdout + third.stderr)
    const copied = of(third.stdout, 'item').filter((e) => e.action === 'copied').map((e) => e.key).sort()
    assert.deepEqual(copied, [key, `${key}.CHECKSUM`])
  })

  test("a partner's source the lake's identity may partly read: auto copies server-side and falls back per item with the reason; one it may not read: --mode direct stops at exit 4 naming the permission", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lakesync-aws-partner-'))
    for (const bucket of ['partner-archive', 'partner-closed']) await putAll(bed.backend(), bucket, [{ key: 'a-public/a.csv', body: Buffer.from('a,1\n') }, { key: 'z-private/b.csv', body: Buffer.from('b,2\n') }])
    const partner = bed.identities.partner!
    await writeFile(path.join(dir, 'lakesync.config.ts'), `import { defineConfig, s3 } from 'lakesync'
export default defineConfig({
  connections: {
    partner: { region: 'ap-northeast-1', credentials: { accessKeyId: '${partner.accessKeyId}', secretAccessKey: process.env.PARTNER_SECRET! } },
    lake: { region: 'us-east-1' },
  },
  jobs: {
    partner: { source: s3('s3://partner-archive/', { connection: 'partner' }), destination: 's3://lake-partner/partner/', connection: 'lake' },
    closed: { source: s3('s3://partner-closed/', { connection: 'partner' }), destination: 's3://lake-partner/closed/', connection: 'lake' },
  },
})
`)
    const env = { ...lakeEnv(), PARTNER_SECRET: partner.secretAccessKey }
    const auto = await runCli(['sync', 'partner', '--json'], { cwd: dir, env, wrap: bed.wrap })
    assert.equal(auto.code, 0, auto.stdout + auto.stderr)
    assert.equal(of(auto.stdout, 'decision')[0]!.mode, 'direct')
    const items = of(auto.stdout, 'item').map((e) => [e.key, e.action, e.engine, /AccessDenied/.test(JSON.stringify(e))])
    assert.deepEqual(items.sort(), [['a-public/a.csv', 'copied', 'lean', false], ['z-private/b.csv', 'copied', 'stream', true]])
    const closedAuto = await runCli(['plan', 'closed', '--json'], { cwd: dir, env, wrap: bed.wrap })
    assert.equal(closedAuto.code, 0, closedAuto.stderr)
    assert.match(of(closedAuto.stdout, 'decision')[0]!.reason, /^traditional: one S3 service \(AWS, ap-northeast-1 -> us-east-1\), but the destination's identity cannot read the source/)
    const direct = await runCli(['sync', 'closed', '--mode', 'direct'], { cwd: dir, env, wrap: bed.wrap })
    assert.equal(direct.code, 4, direct.stdout + direct.stderr)
    assert.match(direct.stderr, /--mode direct: the destination's identity \(connection lake\) may not read s3:\/\/partner-closed\//)
    assert.match(direct.stderr, /s3:GetObject on arn:aws:s3:::partner-closed\/\*/)
  })
})
