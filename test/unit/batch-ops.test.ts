import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { decodeManifestKey, encodeManifestKey, writeManifest, BATCH_OPS_MAX_BYTES } from '../../src/batch-ops/manifest.ts'
import { csvRows, reportRows } from '../../src/batch-ops/report.ts'
import { DEFAULT_PRICES, loadPrices, routeCosts } from '../../src/batch-ops/route-costs.ts'
import { accountOfRole } from '../../src/batch-ops/create-job.ts'
import { ConfigError } from '../../src/api/errors.ts'
import type { PlanItem } from '../../src/api/items.ts'
import { awkwardKeys } from '../helpers/keys.ts'

const dirs: string[] = []
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))
const tempDir = async (name: string) => {
  const dir = await mkdtemp(path.join(tmpdir(), `lakesync-${name}-`))
  dirs.push(dir)
  return dir
}

const HOSTILE = [...awkwardKeys(), 'comma,and "quotes".zip', 'new\nline.zip', 'tab\there.zip', 'a+b c%2B.zip', 'ünïcødé/中文/🚀.zip', 'slash//double/']

test('manifest keys round-trip every hostile key, and carry no comma, quote, "+" or line break raw', () => {
  assert.ok(HOSTILE.some((k) => new TextEncoder().encode(k).length >= 900), 'a 900-byte key among them')
  for (const key of HOSTILE) {
    const encoded = encodeManifestKey(key)
    assert.equal(decodeManifestKey(encoded), key)
    assert.doesNotMatch(encoded, /[,"+\s]/, `${JSON.stringify(key)} → ${encoded}`)
  }
  assert.equal(encodeManifestKey('data/spot/a b+c.zip'), 'data/spot/a%20b%2Bc.zip', 'slashes stay readable; space and plus are escaped')
})

test('the manifest: a line per copy up to 5 GiB, bigger ones and skips left out', async () => {
  const item = (key: string, size: number, action: 'copy' | 'skip' = 'copy'): PlanItem => ({ action, key, destKey: `raw/${key}`, size, etag: '"e"', reason: action === 'copy' ? 'missing' : 'unchanged' }) as PlanItem
  async function* plan() {
    for (const k of HOSTILE) yield item(k, 10)
    yield item('huge.zip', BATCH_OPS_MAX_BYTES + 1)
    yield item('exactly-5GiB.zip', BATCH_OPS_MAX_BYTES)
    yield item('there.zip', 10, 'skip')
  }
  const file = path.join(await tempDir('manifest'), 'm.csv')
  const tally = await writeManifest(plan(), 'archive', file)
  assert.deepEqual({ objects: tally.objects, skipped: tally.skipped, oversized: tally.oversized, examples: tally.oversizedExamples.map((o) => o.key) }, { objects: HOSTILE.length + 1, skipped: 1, oversized: 1, examples: ['huge.zip'] })
  const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean)
  assert.equal(lines.length, HOSTILE.length + 1)
  const rows = await Promise.all(lines.map(async (l) => (await csvRows([l]).next()).value!.fields))
  assert.deepEqual(rows.map(([bucket, key]) => [bucket, decodeManifestKey(key!)]), [...HOSTILE, 'exactly-5GiB.zip'].map((k) => ['archive', k]))
})

test('a completion report in the documented layout: quoted fields with commas, quotes and line breaks, read in chunks cut anywhere', async () => {
  const report = [
    'archive,data/a.zip,,succeeded,,200,Successful',
    `archive,${encodeManifestKey('data/comma,and "quotes".zip')},,failed,InternalError,500,"We encountered an internal error, ""retry"" later"`,
    'archive,data/b%20c.zip,,succeeded,,200,"Successful"',
    'archive,data/multi.zip,,failed,AccessDenied,403,"line one',
    'line two"',
    '',
  ].join('\r\n')
  const read = async (chunks: string[]) => {
    const rows = []
    for await (const r of reportRows(chunks)) rows.push(r)
    return rows
  }
  const rows = await read([report])
  assert.deepEqual(rows.map((r) => [r.key, r.status, r.errorCode]), [['data/a.zip', 'succeeded', ''], ['data/comma,and "quotes".zip', 'failed', 'InternalError'], ['data/b c.zip', 'succeeded', ''], ['data/multi.zip', 'failed', 'AccessDenied']])
  assert.equal(rows[1]!.message, 'We encountered an internal error, "retry" later')
  assert.equal(rows[3]!.message, 'line one\r\nline two')
  // Every cut point, including inside "" pairs and between \r and \n.
  for (let cut = 1; cut < report.length; cut++) assert.deepEqual(await read([report.slice(0, cut), report.slice(cut)]), rows, `cut at ${cut}`)
  await assert.rejects(read(['Bucket,Key\narchive,data/a.zip\n']), /row 1 is not a Batch Operations report row/)
  let n = 0
  for await (const _ of csvRows(['a,b\n\n\nc,d'])) n++
  assert.equal(n, 2, 'blank lines are no rows')
})

test('hostile reports: an endless field, a quote never closed, a bad escape and a byte-order mark are refused or read, naming the row', async () => {
  const read = async (chunks: Iterable<string>) => {
    const rows = []
    for await (const r of reportRows(chunks)) rows.push(r)
    return rows
  }
  // /dev/zero: NULs and no line end, read in 64 KB chunks until the limit, never held whole.
  function* zeros() {
    for (let i = 0; i < 1e6; i++) yield '\0'.repeat(65536)
  }
  await assert.rejects(read(zeros()), /row 1 is longer than any report row \(a field over 16 KB\)/)
  function* unclosed() {
    yield 'archive,data/a.zip,,succeeded,,200,ok\n'
    for (let i = 0; i < 1e6; i++) yield i ? 'x,\n'.repeat(1000) : 'archive,"data/b.zip,'
  }
  await assert.rejects(read(unclosed()), /row 2 is longer than any report row \(a field over 16 KB, in a quoted field never closed\)/)
  await assert.rejects(read(['archive,data/a.zip,,succeeded\narchive,data/"q.zip,,succeeded\narchive,"x,,failed']), /row 3: a quoted field is never closed/)
  await assert.rejects(read(['archive,data/a.zip,,succeeded\narchive,data/%E0%A4%A.zip,,succeeded\n']), /row 2: the key "data\/%E0%A4%A\.zip" has a malformed %-escape/)
  const withBom = await read(['\ufeffarchive,data/a.zip,,succeeded\n'])
  assert.equal(withBom[0]!.bucket, 'archive', 'the byte-order mark is not part of the first bucket')
  assert.deepEqual((await read(['a,k1,,succeeded\r\n"a","multi\nline",,failed\nb,k3,,succeeded'])).map((r) => r.line), [1, 2, 4], 'each row names the line it starts on')
})

test('the two routes priced side by side; a price table overrides the defaults, and a bad one names its key', async () => {
  const s = { planned: 1_000_000, mode: 'direct', engine: 's5cmd', requests: { ListObjectsV2: 2_000 } }
  const { lakesync, batchOps } = routeCosts(s, DEFAULT_PRICES)
  // lakesync with s5cmd: 2,000 lists + 1,000,000 copies + 2,000 windowed size checks at $0.005 per 1,000.
  assert.deepEqual([lakesync.requests, Number(lakesync.usd.toFixed(4))], [1_004_000, 5.02])
  // The lean engine's copies of single-part objects are proven by their answers; 5,000 multipart ones are listed.
  const lean = routeCosts({ ...s, engine: 'lean', plannedUnproven: 5_000 }, DEFAULT_PRICES).lakesync
  assert.deepEqual([lean.requests, Number(lean.usd.toFixed(4))], [1_002_010, 5.01])
  // Batch Operations: the same lists, the manifest PUT, 1,000,000 copies, $0.25 a job and $1 per million objects.
  assert.deepEqual([batchOps.requests, Number(batchOps.usd.toFixed(4))], [1_002_001, 6.26])
  const dir = await tempDir('prices')
  await writeFile(path.join(dir, 'p.json'), JSON.stringify({ batchOpsPerJob: 0, batchOpsPerMillionObjects: 0 }))
  const free = await loadPrices(path.join(dir, 'p.json'))
  assert.ok(routeCosts(s, free).batchOps.usd < routeCosts(s, free).lakesync.usd, 'without the service fees the routes differ by the size checks only')
  await writeFile(path.join(dir, 'bad.json'), JSON.stringify({ copyPrice: 1, requestPer1000: -1 }))
  await assert.rejects(loadPrices(path.join(dir, 'bad.json')), (e: unknown) => e instanceof ConfigError && /unknown key copyPrice/.test(e.message) && /requestPer1000 must be a number/.test(e.message))
})

test('the account of a role ARN, or a clear error', () => {
  assert.equal(accountOfRole('arn:aws:iam::123456789012:role/lakesync-batch'), '123456789012')
  assert.throws(() => accountOfRole('lakesync-batch'), /--role-arn: "lakesync-batch" is not an IAM role ARN/)
})

test('without --control-endpoint, S3 Control is asked where the SDK\'s endpoint rules put it: the account as a host prefix, the destination\'s region', async () => {
  const { controlClient } = await import('../../src/batch-ops/create-job.ts')
  const { DescribeJobCommand } = await import('@aws-sdk/client-s3-control')
  const job = { name: 'j', destination: { bucket: 'lake', prefix: '', connection: { region: 'eu-west-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } } } } as any
  const client = controlClient(job)
  // The request as it would go on the wire, stopped before it is sent.
  let sent: { hostname: string; path: string; headers: Record<string, string> } | undefined
  client.middlewareStack.add((() => async (args: any) => {
    sent = args.request
    throw Object.assign(new Error('stopped before the network'), { name: 'Stopped' })
  }) as any, { step: 'finalizeRequest', priority: 'low', name: 'stopBeforeSending' })
  await assert.rejects(client.send(new DescribeJobCommand({ AccountId: '123456789012', JobId: 'j-1' })), /stopped before the network/)
  client.destroy()
  assert.equal(sent!.hostname, '123456789012.s3-control.eu-west-1.amazonaws.com')
  assert.equal(sent!.path, '/v20180820/jobs/j-1')
  assert.equal(sent!.headers['x-amz-account-id'], '123456789012')
  assert.match(sent!.headers.authorization!, /Credential=AKID\/\d{8}\/eu-west-1\/s3\/aws4_request/, 'signed for the destination\'s region, service s3')
})
