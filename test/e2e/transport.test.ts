import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { startS3Server, serverKinds, type S3TestServer, type ServerKind } from '../helpers/s3-server.ts'
import { startAwsBed, type AwsBed } from '../helpers/aws-bed.ts'
import type { ConnectionConfig } from '../../src/api/config.ts'

const CONTRACT = new URL('../helpers/transport-contract.ts', import.meta.url).pathname
const IMPLEMENTATIONS = ['sdk', 'lean'] as const

/** Runs the contract (test/helpers/transport-contract.ts) in a child: its lines, and whether every check passed. */
function contract(o: { implementation: string; connection: ConnectionConfig; bucket: string; region?: string; wrap?: string[]; env?: Record<string, string> }): Promise<{ ok: boolean; lines: string[] }> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...o.env }
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE']) delete env[k]
  if (!o.env?.AWS_CA_BUNDLE) delete env.AWS_CA_BUNDLE
  // The connection (a secret in it) goes in the environment: command lines are visible to all, and the suite's sweep checks them.
  env.CONTRACT = JSON.stringify({ implementation: o.implementation, connection: o.connection, bucket: o.bucket, region: o.region })
  const [command, ...args] = [...(o.wrap ?? []), process.execPath, '--import', 'tsx', CONTRACT]
  return new Promise((resolve) => {
    execFile(command!, args, { env, timeout: 120_000 }, (error, stdout, stderr) => {
      const lines = stdout.trim().split('\n').filter(Boolean)
      const crashed = error && !lines.some((l) => l.startsWith('not ok'))
      resolve({ ok: !error && lines.length === CHECKS && lines.every((l) => l.startsWith('ok ')), lines: crashed ? [...lines, `crashed: ${stderr.trim().slice(-2000)}`] : lines })
    })
  })
}

/**
 * Where a server of the test bed departs from S3 as the contract checks it: the checks it fails,
 * and why. Each server must fail exactly these: a new failure, or one of these mended, fails the test.
 */
const DIFFERENCES: Partial<Record<ServerKind, Record<string, string>>> = {
  moto: { 'a part copy refuses a source whose ETag changed, and an aborted upload leaves nothing': 'moto ignores x-amz-copy-source-if-match on UploadPartCopy: a source rewritten during a multipart copy is not caught there' },
  seaweedfs: { 'listPage lists every key byte for byte, in order, with sizes and ETags': 'SeaweedFS lists special/back\\slash.zip as special/back/slash.zip (a backslash becomes a folder separator)' },
}

/** The checks that failed, by name, with their lines; `ok` when they are exactly the server's known differences. */
function judge(lines: string[], known: Record<string, string> = {}): { ok: boolean; report: string } {
  const failed = lines.filter((l) => !l.startsWith('ok '))
  const names = failed.map((l) => /^not ok (.*?): /.exec(l)?.[1] ?? l)
  const ok = lines.length === CHECKS && names.length === Object.keys(known).length && names.every((n) => n in known)
  return { ok, report: [`${lines.length} of ${CHECKS} checks ran; failed:`, ...failed, 'known differences:', ...Object.entries(known).map(([n, why]) => `${n}: ${why}`)].join('\n') }
}

/** Checks in the contract: each prints one line. */
const CHECKS = 15

for (const kind of serverKinds({ third: true })) {
  describe(`the transport contract on ${kind}`, { concurrency: false }, () => {
    let server: S3TestServer
    before(async () => (server = await startS3Server(kind, { buckets: ['contract'] })))
    after(() => server?.stop())
    for (const implementation of IMPLEMENTATIONS) {
      test(`${implementation}: every request lakesync makes answers as the contract says`, async () => {
        const connection = { endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey } }
        const r = await contract({ implementation, connection, bucket: 'contract' })
        const verdict = judge(r.lines, DIFFERENCES[kind])
        assert.ok(verdict.ok, verdict.report)
      })
    }
  })
}

describe('the transport contract on the AWS-shaped bed: no endpoint, a bucket in eu-west-1, TLS, virtual-hosted', { concurrency: false }, () => {
  let bed: AwsBed
  before(async () => {
    bed = await startAwsBed({ regions: ['eu-west-1'], identities: ['lake'] })
    await bed.bucket('lake-contract', { region: 'eu-west-1', owner: 'lake' })
  })
  after(() => bed?.stop())
  for (const implementation of IMPLEMENTATIONS) {
    test(`${implementation}: every request lakesync makes answers as the contract says, each at the bucket's region`, async () => {
      bed.reset()
      const connection = { region: 'eu-west-1', credentials: bed.identities.lake! }
      const r = await contract({ implementation, connection, bucket: 'lake-contract', region: 'eu-west-1', wrap: bed.wrap, env: bed.env })
      assert.ok(r.ok, judge(r.lines).report)
      const elsewhere = bed.log.filter((q) => q.host !== 'lake-contract.s3.eu-west-1.amazonaws.com' || q.signedFor !== 'eu-west-1' || q.identity !== 'lake')
      assert.deepEqual(elsewhere, [], 'every request virtual-hosted at the bucket\'s region, signed for it by its owner')
    })
  }
})
