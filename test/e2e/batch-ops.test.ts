// The S3 Batch Operations hand-off, up to the wire: AWS's control plane cannot be reached here,
// so the CreateJob and DescribeJob requests the SDK builds are captured by a local HTTP server
// and checked against the API's documented shape; the manifest goes to a real S3 server, and
// the service's copies and completion report are played by the test.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CopyObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { startS3Server, type S3TestServer } from '../helpers/s3-server.ts'
import { runCli } from '../helpers/cli.ts'
import { freePort } from '../../src/bench/local-server.ts'
import { createHash, createHmac } from 'node:crypto'
import { SignatureV4 } from '@smithy/signature-v4'
import { generatedKlines, putAll } from '../../scripts/lib/seed.ts'
import { decodeManifestKey, encodeManifestKey } from '../../src/batch-ops/manifest.ts'

const ROLE = 'arn:aws:iam::123456789012:role/lakesync-batch'
const ODD = 'data/spot/daily/klines/BTCUSDT/1h/odd, "name" +%20 ünï.zip'

const CONFIG = `import { defineConfig, binance } from 'lakesync'
import { checksums } from 'lakesync/plugins'
export default defineConfig({
  connections: { local: { endpoint: process.env.E } },
  jobs: {
    klines: {
      source: binance.archive({ market: 'spot', frequency: 'daily', dataType: 'klines', bucket: 'archive', connection: 'local', symbols: ['BTCUSDT', 'ETHUSDT'], intervals: ['1h', '1d'], from: '2024-01-01', to: '2024-01-05' }),
      destination: 's3://lake/raw/',
      connection: 'local',
    },
    // The same selection into a prefix no test copies to: its plan is whole in every test, whatever ran before.
    fresh: {
      source: binance.archive({ market: 'spot', frequency: 'daily', dataType: 'klines', bucket: 'archive', connection: 'local', symbols: ['BTCUSDT'], intervals: ['1h'], from: '2024-01-01', to: '2024-01-02' }),
      destination: 's3://lake/fresh/',
      connection: 'local',
    },
    prefix: { source: 's3://archive/data/', destination: 's3://lake/prefix/', connection: 'local' },
  },
  plugins: [checksums()],
})
`

interface Captured {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: string
}

/**
 * Whether a request carries a valid SigV4 signature of `credentials` for S3 Control (service
 * "s3"): recomputed by the SDK's own signer over the headers the request says it signed.
 */
async function signedBy(c: Captured, credentials: { accessKeyId: string; secretAccessKey: string }, region: string): Promise<boolean> {
  const auth = String(c.headers.authorization ?? '')
  // A signed payload hash must be the body's: the signature covers the hash, not the bytes.
  const payload = c.headers['x-amz-content-sha256']
  if (payload !== undefined && payload !== 'UNSIGNED-PAYLOAD' && payload !== createHash('sha256').update(c.body).digest('hex')) return false
  const signedNames = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(';') ?? []
  const amzDate = String(c.headers['x-amz-date'] ?? '')
  if (!signedNames.length || !amzDate) return false
  const url = new URL(c.url, 'http://control')
  const headers = Object.fromEntries(signedNames.map((n) => [n, String(c.headers[n])]))
  const signer = new SignatureV4({ credentials, region, service: 's3', sha256: Sha256 as never })
  const at = new Date(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'))
  const request = { method: c.method, protocol: 'http:', hostname: String(c.headers.host).split(':')[0], path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body: c.body }
  const signed = (await signer.sign(request as any, { signingDate: at })) as unknown as { headers: Record<string, string> }
  return signed.headers.authorization === auth
}

/** SHA-256 and HMAC for the SDK's signer, from node:crypto. */
class Sha256 {
  private readonly h
  constructor(secret?: string | Uint8Array) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret))
  }
  update(d: string | Uint8Array) {
    this.h.update(d)
  }
  async digest() {
    return new Uint8Array(this.h.digest())
  }
  reset() {}
}

/**
 * A stand-in for the S3 Control endpoint: records each request and answers as the API documents;
 * `answer` (set by a test) gives another answer, such as an error or a failed job.
 */
async function captureServer() {
  const requests: Captured[] = []
  const stand = { answer: undefined as undefined | ((c: Captured) => { status: number; body: string } | undefined) }
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      const captured = { method: req.method!, url: req.url!, headers: req.headers, body }
      requests.push(captured)
      res.setHeader('content-type', 'application/xml')
      const other = stand.answer?.(captured)
      if (other) return res.writeHead(other.status).end(other.body)
      if (req.method === 'POST') return res.end('<?xml version="1.0" encoding="UTF-8"?><CreateJobResult><JobId>7f9a1c2e-batch-job</JobId></CreateJobResult>')
      res.end(`<?xml version="1.0" encoding="UTF-8"?><DescribeJobResult><Job><JobId>7f9a1c2e-batch-job</JobId><Status>Complete</Status>
<ProgressSummary><TotalNumberOfTasks>41</TotalNumberOfTasks><NumberOfTasksSucceeded>39</NumberOfTasksSucceeded><NumberOfTasksFailed>2</NumberOfTasksFailed></ProgressSummary>
<Report><Bucket>arn:aws:s3:::lake</Bucket><Prefix>reports</Prefix><Format>Report_CSV_20180820</Format><Enabled>true</Enabled><ReportScope>AllTasks</ReportScope></Report></Job></DescribeJobResult>`)
    })
  })
  const port = await freePort()
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r))
  return { endpoint: `http://127.0.0.1:${port}`, requests, stand, close: () => new Promise<void>((r) => server.close(() => r())) }
}

/** The text of the first element `name` under the XML text (our own fixed shapes, not a general parser). */
const tag = (xml: string, name: string) => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1]

describe('S3 Batch Operations hand-off', { concurrency: false }, () => {
  let server: S3TestServer
  let control: Awaited<ReturnType<typeof captureServer>>
  let dir: string
  const cli = (args: string[]) => runCli(args, { env: { ...server.env, E: server.endpoint }, cwd: dir })

  before(async () => {
    server = await startS3Server('versitygw', { buckets: ['archive', 'lake'] })
    const client = server.client()
    await putAll(client, 'archive', [...generatedKlines({ symbols: ['BTCUSDT', 'ETHUSDT'], intervals: ['1h', '1d'], days: 10 }), { key: ODD, body: new TextEncoder().encode('a stray with a hostile name') }])
    client.destroy()
    control = await captureServer()
    dir = await mkdtemp(path.join(tmpdir(), 'lakesync-batch-ops-'))
    await writeFile(path.join(dir, 'lakesync.config.ts'), CONFIG)
  })
  after(async () => {
    await control?.close()
    await server?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  test('the manifest holds exactly the planned copies; CreateJob is the documented request, field by field', async () => {
    const r = await cli(['batch-ops', 'klines', '--manifest', 's3://lake/manifests/', '--role-arn', ROLE, '--report', 's3://lake/reports/', '--submit', '--control-endpoint', control.endpoint])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /manifest of 41 objects/, '2 symbols × 2 intervals × 5 days, zips and sidecars, and the stray')
    assert.match(r.stdout, /S3 Batch Operations job 7f9a1c2e-batch-job created in account 123456789012/)

    const client = server.client()
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: 'manifests/' }))
    assert.equal(listed.Contents?.length, 1)
    const manifestKey = listed.Contents![0]!.Key!
    const manifest = await (await client.send(new GetObjectCommand({ Bucket: 'lake', Key: manifestKey }))).Body!.transformToString()
    const rows = manifest.trim().split('\n').map((l) => l.split(','))
    assert.ok(rows.every((f) => f.length === 2 && f[0] === 'archive'), 'bucket,key lines with no header')
    const keys = rows.map((f) => decodeManifestKey(f[1]!))
    assert.ok(keys.includes(ODD), 'the hostile key comes back exactly')
    const plan = await cli(['plan', 'klines', '--json'])
    const planned = plan.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'item' && e.action === 'planned').map((e) => e.key)
    assert.deepEqual([...keys].sort(), [...planned].sort(), 'the manifest is the plan')

    const [create] = control.requests
    assert.equal(create!.method, 'POST')
    assert.equal(create!.url, '/v20180820/jobs')
    assert.equal(create!.headers['x-amz-account-id'], '123456789012')
    assert.ok(await signedBy(create!, { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }, 'us-east-1'), 'CreateJob is signed by the job\'s identity for S3 Control')
    assert.equal(await signedBy({ ...create!, body: create!.body + ' ' }, { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }, 'us-east-1'), false, 'the check catches a body other than the one signed')
    assert.match(String(create!.headers.authorization), /^AWS4-HMAC-SHA256 Credential=\S+\/us-east-1\/s3\/aws4_request/, 'signed for S3 Control (service name s3)')
    const xml = create!.body
    assert.match(xml, /^<\?xml[^>]*\?>\s*<CreateJobRequest xmlns="http:\/\/awss3control\.amazonaws\.com\/doc\/2018-08-20\/">/)
    assert.equal(tag(xml, 'ConfirmationRequired'), 'false')
    assert.equal(tag(xml, 'RoleArn'), ROLE)
    assert.equal(tag(xml, 'Priority'), '10')
    assert.match(tag(xml, 'ClientRequestToken')!, /^[0-9a-f-]{36}$/)
    const copy = tag(xml, 'S3PutObjectCopy')!
    assert.equal(tag(copy, 'TargetResource'), 'arn:aws:s3:::lake')
    assert.equal(tag(copy, 'TargetKeyPrefix'), 'raw/')
    assert.equal(tag(copy, 'MetadataDirective'), 'COPY')
    assert.equal(tag(copy, 'ChecksumAlgorithm'), 'SHA256', 'the job verifies checksums: the service computes SHA-256')
    const spec = tag(tag(xml, 'Manifest')!, 'Spec')!
    assert.equal(tag(spec, 'Format'), 'S3BatchOperations_CSV_20180820')
    assert.deepEqual([...spec.matchAll(/<member>(\w+)<\/member>/g)].map((m) => m[1]), ['Bucket', 'Key'])
    const location = tag(tag(xml, 'Manifest')!, 'Location')!
    assert.equal(tag(location, 'ObjectArn'), `arn:aws:s3:::lake/${manifestKey}`)
    assert.equal(tag(location, 'ETag'), listed.Contents![0]!.ETag!.replace(/"/g, ''))
    const report = tag(xml, 'Report')!
    assert.deepEqual([tag(report, 'Bucket'), tag(report, 'Prefix'), tag(report, 'Format'), tag(report, 'Enabled'), tag(report, 'ReportScope')], ['arn:aws:s3:::lake', 'reports', 'Report_CSV_20180820', 'true', 'AllTasks'])
    client.destroy()
  })

  test('status reads the job back; a completion report imports into a journal; the next sync copies only what failed', async () => {
    // The service's job is the hand-off's of the test above; run alone, this test makes it first.
    const lister = server.client()
    const made = await lister.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: 'manifests/' }))
    lister.destroy()
    if (!made.Contents?.length) assert.equal((await cli(['batch-ops', 'klines', '--manifest', 's3://lake/manifests/', '--role-arn', ROLE, '--report', 's3://lake/reports/', '--submit', '--control-endpoint', control.endpoint])).code, 0)
    const status = await cli(['batch-ops', 'status', '7f9a1c2e-batch-job', 'klines', '--role-arn', ROLE, '--control-endpoint', control.endpoint])
    assert.equal(status.code, 0, status.stderr)
    assert.match(status.stdout, /7f9a1c2e-batch-job: Complete; 39 of 41 tasks succeeded, 2 failed/)
    const describe = control.requests.at(-1)!
    assert.deepEqual([describe.method, describe.url, describe.headers['x-amz-account-id']], ['GET', '/v20180820/jobs/7f9a1c2e-batch-job', '123456789012'])

    // The service's part, played here: it copied all but two, and reported each task.
    const client = server.client()
    const manifestKey = (await client.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: 'manifests/' }))).Contents![0]!.Key!
    const keys = (await (await client.send(new GetObjectCommand({ Bucket: 'lake', Key: manifestKey }))).Body!.transformToString()).trim().split('\n').map((l) => decodeManifestKey(l.split(',')[1]!))
    const failed = [ODD, keys.find((k) => k.endsWith('.zip') && k !== ODD)!]
    for (const key of keys.filter((k) => !failed.includes(k))) await client.send(new CopyObjectCommand({ Bucket: 'lake', Key: `raw/${key}`, CopySource: `archive/${encodeURIComponent(key)}` }))
    const quote = (s: string) => `"${s.replace(/"/g, '""')}"`
    const report = keys.map((k) => failed.includes(k)
      ? `archive,${encodeManifestKey(k)},,failed,InternalError,500,${quote('We encountered an internal error, "please" retry')}`
      : `archive,${encodeManifestKey(k)},,succeeded,,200,Successful`).join('\n')
    await writeFile(path.join(dir, 'report.csv'), report + '\n')

    const imported = await cli(['batch-ops', 'import', path.join(dir, 'report.csv'), 'klines'])
    assert.equal(imported.code, 1, 'failed tasks: exit 1, as a run with failed items')
    assert.match(imported.stdout, /imported 39 copied and 2 failed task\(s\) into .*\.jsonl; the next lakesync sync copies the failed ones/)
    const journal = (await readFile(/into (\S+\.jsonl)/.exec(imported.stdout)![1]!, 'utf8')).trim().split('\n').map((l) => JSON.parse(l))
    assert.deepEqual(journal.filter((l) => l.action === 'failed').map((l) => l.key).sort(), [...failed].sort())
    assert.ok(journal.find((l) => l.key === ODD)?.error.includes('We encountered an internal error, "please" retry'), 'the message with its comma and quotes')
    const runs = await cli(['runs'])
    assert.match(runs.stdout, /items failed\s+copied 39, skipped 0, failed 2\s+\[klines\]/)

    const sync = await cli(['sync', 'klines', '--json'])
    assert.equal(sync.code, 0, sync.stderr)
    const copied = sync.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'item' && e.action === 'copied').map((e) => e.key)
    assert.deepEqual(copied.sort(), [...failed].sort(), 'what the service copied is skipped; what failed is copied')
    client.destroy()
  })

  test('the service\'s refusals and ends: CreateJob denied (exit 4 naming the permissions), a job Failed with its reasons (exit 1), Suspended (exit 0, said)', async () => {
    const denied = '<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error><RequestId>R1</RequestId></ErrorResponse>'
    control.stand.answer = (c) => (c.method === 'POST' ? { status: 403, body: denied } : undefined)
    try {
      const refused = await cli(['batch-ops', 'fresh', '--manifest', 's3://lake/manifests-denied/', '--role-arn', ROLE, '--submit', '--control-endpoint', control.endpoint])
      assert.equal(refused.code, 4, refused.stdout + refused.stderr)
      assert.match(refused.stderr, /S3 Batch Operations refused CreateJob: Access Denied \(AccessDenied, HTTP 403\)/)
      assert.match(refused.stderr, /hint: .*s3:CreateJob.*iam:PassRole/)
      const job = (status: string, extra = '') => `<?xml version="1.0" encoding="UTF-8"?><DescribeJobResult><Job><JobId>j-1</JobId><Status>${status}</Status><ProgressSummary><TotalNumberOfTasks>41</TotalNumberOfTasks><NumberOfTasksSucceeded>0</NumberOfTasksSucceeded><NumberOfTasksFailed>0</NumberOfTasksFailed></ProgressSummary>${extra}</Job></DescribeJobResult>`
      // List members named as the service model names them (<member>), which is what the SDK reads.
      control.stand.answer = () => ({ status: 200, body: job('Failed', '<FailureReasons><member><FailureCode>ManifestNotFound</FailureCode><FailureReason>Reading the manifest failed</FailureReason></member></FailureReasons>') })
      const failed = await cli(['batch-ops', 'status', 'j-1', 'fresh', '--account-id', '123456789012', '--control-endpoint', control.endpoint])
      assert.equal(failed.code, 1, failed.stdout + failed.stderr)
      assert.match(failed.stdout, /j-1: Failed; 0 of 41 tasks succeeded/)
      assert.match(failed.stdout, /failure: ManifestNotFound: Reading the manifest failed/)
      control.stand.answer = () => ({ status: 200, body: job('Suspended') })
      const suspended = await cli(['batch-ops', 'status', 'j-1', 'fresh', '--account-id', '123456789012', '--control-endpoint', control.endpoint])
      assert.equal(suspended.code, 0, suspended.stderr)
      assert.match(suspended.stdout, /j-1: Suspended; 0 of 41 tasks succeeded/)
      assert.equal(control.requests.at(-1)!.headers['x-amz-account-id'], '123456789012', '--account-id is the account asked')
    } finally {
      control.stand.answer = undefined
    }
  })

  test('without --submit the CreateJob request is printed, not sent; a report is imported from s3://', async () => {
    const sent = control.requests.length
    const r = await cli(['batch-ops', 'fresh', '--manifest', 's3://lake/manifests-dry/', '--role-arn', ROLE, '--control-endpoint', control.endpoint])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(control.requests.length, sent, 'nothing sent to S3 Control')
    assert.match(r.stdout, /not submitted \(add --submit\); the CreateJob request would be:/)
    const request = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')))
    assert.equal(request.AccountId, '123456789012')
    assert.equal(request.RoleArn, ROLE)
    assert.match(request.Manifest.Location.ObjectArn, /^arn:aws:s3:::lake\/manifests-dry\/fresh-.*\.csv$/)
    const client = server.client()
    await client.send(new PutObjectCommand({ Bucket: 'lake', Key: 'reports/job-j-2/results/part.csv', Body: 'archive,data/spot/daily/klines/BTCUSDT/1h/BTCUSDT-1h-2024-01-01.zip,,succeeded,,200,Successful\n' }))
    client.destroy()
    const imported = await cli(['batch-ops', 'import', 's3://lake/reports/job-j-2/results/part.csv', 'fresh'])
    assert.equal(imported.code, 0, imported.stderr)
    assert.match(imported.stdout, /imported 1 copied and 0 failed task\(s\)/)
  })

  test('plan prices both routes; a job whose keys the service cannot reproduce is refused before any listing', async () => {
    const plan = await cli(['plan', 'klines'])
    assert.match(plan.stdout, /cost: lakesync [\d,]+ requests ≈ \$[\d.]+; S3 Batch Operations [\d,]+ requests \+ 1 job ≈ \$[\d.]+ \(prices: S3 list prices/)
    const refused = await cli(['batch-ops', 'prefix', '--manifest', 's3://lake/manifests/', '--role-arn', ROLE])
    assert.equal(refused.code, 2)
    assert.match(refused.stderr, /S3 Batch Operations copies to a target prefix \+ the whole source key, but this job's destination keys drop the source prefix "data\/"/)
    // import refuses the same job: its rows would be recorded under destination keys the service never wrote.
    await writeFile(path.join(dir, 'prefix-report.csv'), 'archive,data/a.zip,,succeeded,,200,Successful\n')
    const imported = await cli(['batch-ops', 'import', path.join(dir, 'prefix-report.csv'), 'prefix'])
    assert.equal(imported.code, 2)
    assert.match(imported.stderr, /this job's destination keys drop the source prefix "data\/"/)
    // A byte-order mark before the first bucket is dropped, not taken for another bucket; a wrong bucket is named visibly.
    await writeFile(path.join(dir, 'bom-report.csv'), '\ufeffarchive,data/a.zip,,succeeded,,200,Successful\n\ufeffarchive,data/b.zip,,succeeded,,200,Successful\n')
    const bom = await cli(['batch-ops', 'import', path.join(dir, 'bom-report.csv'), 'klines'])
    assert.equal(bom.code, 2)
    assert.match(bom.stderr, /row 2 copies from bucket "\\ufeffarchive", not from job klines's source "archive"/)
  })
})
