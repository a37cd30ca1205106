import https from 'node:https'
import http from 'node:http'
import { createHash } from 'node:crypto'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CreateBucketCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { SignatureV4 } from '@smithy/signature-v4'
import { Sha256 } from './sdk-sha256.ts'
import { startS3Server, type S3TestServer } from './s3-server.ts'

const run = promisify(execFile)

/**
 * An AWS-shaped S3 in front of a real S3 server (moto): TLS on S3's own host names (a test CA,
 * the names mapped to one loopback address by a private hosts file), one endpoint per region,
 * buckets placed in regions, and the answers S3 documents for what loopback hides:
 *
 * - a request for a bucket sent to another region's endpoint: `301 PermanentRedirect` with
 *   `x-amz-bucket-region` and an `<Endpoint>` (S3 User Guide, "Making requests": redirects);
 * - signed for the wrong region where the endpoint serves the bucket (its own region, or the
 *   global endpoint's virtual hosts, which DNS sends to the bucket's region):
 *   `400 AuthorizationHeaderMalformed` with `<Region>`;
 * - HeadBucket's answers carry `x-amz-bucket-region` on 200, 301, 400 and 403 alike, without a body;
 * - SigV4 checked (the host header and path as sent, so addressing mistakes fail as on AWS);
 * - anonymous reads of a public bucket allowed, anonymous writes refused; a copy needs its
 *   identity to read the source, in any region;
 * - a bucket may answer SSE-KMS-style ETags (not the MD5 of the bytes).
 *
 * Requests that pass go to moto path-style. Every request is logged with where it went, and the
 * object bytes that crossed the client's link are counted.
 */
export interface AwsBed {
  /** Run the CLI under this (runCli's `wrap`): a mount namespace whose /etc/hosts maps S3's names here. */
  wrap: string[]
  /** AWS_CA_BUNDLE (the test CA) and the region's variables for a child. */
  env: Record<string, string>
  identities: Record<string, { accessKeyId: string; secretAccessKey: string }>
  /** Requests as they came, in order. */
  log: BedRequest[]
  /** Object bytes that went through the client (GetObject bodies, PutObject and UploadPart bodies), by key suffix. */
  objectBytes(): { zip: number; other: number }
  /** The backend, for seeding and reading behind the bed's back. */
  backend(): S3Client
  /** Puts a bucket in a region (created on the backend). */
  bucket(name: string, place: BucketPlace): Promise<void>
  reset(): void
  stop(): Promise<void>
}

export interface BucketPlace {
  region: string
  /** The identity whose account owns it: it reads and writes. */
  owner: string
  /** Anyone (anonymous included) may list and read. */
  public?: boolean
  /** Identities that may read it besides the owner. */
  readers?: string[]
  /** Answers ETags as SSE-KMS does: not the MD5 of the bytes. */
  kms?: boolean
  /** Keys under a prefix an identity may not read (a bucket policy's Deny), by identity. */
  deniedPrefix?: Record<string, string>
}

export interface BedRequest {
  host: string
  /** The region of the endpoint the request reached ('us-east-1' for the global endpoint). */
  region: string
  style: 'virtual' | 'path'
  bucket?: string
  key?: string
  operation: string
  identity: string
  /** The region the signature was scoped to. */
  signedFor?: string
  status: number
  /** S3's error code, when it answered one itself. */
  code?: string
}

const GLOBAL = 'us-east-1'

export async function startAwsBed(o: { regions: string[]; identities: string[] }): Promise<AwsBed> {
  const work = await mkdtemp(path.join(tmpdir(), 'lakesync-aws-bed-'))
  const backend = await startS3Server('moto')
  const backendClient = backend.client()
  const ip = `127.${20 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 250) + 1}.${Math.floor(Math.random() * 250) + 2}`
  const regions = [...new Set([GLOBAL, ...o.regions])]
  const { ca, key, cert } = await makeCertificates(work, regions)
  const identities = Object.fromEntries(o.identities.map((name) => [name, { accessKeyId: `AKIA${name.toUpperCase().replace(/[^A-Z0-9]/g, '')}BED`, secretAccessKey: `bed-secret-${name}-${Math.random().toString(36).slice(2)}` }]))
  const byKeyId = new Map(Object.entries(identities).map(([name, id]) => [id.accessKeyId, { name, ...id }]))
  const places = new Map<string, BucketPlace>()
  const log: BedRequest[] = []
  const bytes = { zip: 0, other: 0 }
  const hosts: string[] = []
  const writeHosts = async () => {
    const system = await readFile('/etc/hosts', 'utf8').catch(() => '127.0.0.1 localhost\n')
    const names = regions.flatMap((r) => [`s3.${r}.amazonaws.com`, `s3-${r}.amazonaws.com`]).concat('s3.amazonaws.com', ...hosts)
    await writeFile(path.join(work, 'hosts'), `${system}\n# lakesync AWS-shaped test bed\n${names.map((n) => `${ip} ${n}`).join('\n')}\n`)
  }
  await writeHosts()
  const upstream = new http.Agent({ keepAlive: true, maxSockets: 64 })
  const server = https.createServer({ key, cert }, (req, res) => void serve(req, res))
  server.keepAliveTimeout = 30_000

  async function serve(req: http.IncomingMessage, res: http.ServerResponse) {
    const body = await readBody(req)
    const host = (req.headers.host ?? '').replace(/:443$/, '')
    const target = parseHost(host)
    const [rawPath, rawQuery = ''] = (req.url ?? '/').split(/\?(.*)/s)
    const query = new URLSearchParams(rawQuery)
    let bucket = target?.bucket
    let keyPath = rawPath!.slice(1)
    if (!bucket && keyPath) [bucket, keyPath] = splitOnce(keyPath)
    const key = keyPath ? decodeURIComponent(keyPath) : undefined
    const entry: BedRequest = { host, region: target?.region ?? GLOBAL, style: target?.bucket ? 'virtual' : 'path', ...(bucket ? { bucket } : {}), ...(key ? { key } : {}), operation: operationOf(req, bucket, key, query), identity: 'anonymous', status: 0 }
    log.push(entry)
    const answer = (status: number, code?: string, xml?: string, headers: Record<string, string> = {}) => {
      entry.status = status
      if (code) entry.code = code
      const send = req.method === 'HEAD' || !xml ? '' : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>${xml}<RequestId>BED${log.length}</RequestId><HostId>bed</HostId></Error>`
      res.writeHead(status, { ...headers, 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(send)) }).end(send)
    }
    const auth = readAuthorization(req.headers.authorization)
    if (req.headers.authorization && !auth) return answer(400, 'AuthorizationHeaderMalformed', '<Message>The authorization header is malformed</Message>')
    const who = auth ? byKeyId.get(auth.accessKeyId) : undefined
    if (auth && !who) return answer(403, 'InvalidAccessKeyId', '<Message>The AWS Access Key Id you provided does not exist in our records.</Message>')
    if (who) entry.identity = who.name
    if (auth) entry.signedFor = auth.region
    const place = bucket ? places.get(bucket) : undefined
    if (place) {
      const regionHeader = { 'x-amz-bucket-region': place.region }
      // The global endpoint's virtual hosts resolve to the bucket's region; its path-style requests do not.
      const served = target!.region === place.region || (target!.global && target!.bucket)
      if (!served) {
        const endpoint = `${bucket!.includes('.') ? '' : `${bucket}.`}s3.${place.region}.amazonaws.com`
        return answer(301, 'PermanentRedirect', `<Message>The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.</Message><Endpoint>${endpoint}</Endpoint><Bucket>${bucket}</Bucket>`, regionHeader)
      }
      if (auth && auth.region !== place.region) {
        return answer(400, 'AuthorizationHeaderMalformed', `<Message>The authorization header is malformed; the region '${auth.region}' is wrong; expecting '${place.region}'</Message><Region>${place.region}</Region>`, regionHeader)
      }
      if (auth && !(await signatureHolds(req, rawPath!, query, auth, who!.secretAccessKey))) {
        return answer(403, 'SignatureDoesNotMatch', '<Message>The request signature we calculated does not match the signature you provided.</Message>')
      }
      const refused = refusal(entry.operation, bucket!, key, who?.name, req.headers['x-amz-copy-source'] as string | undefined)
      if (refused) return answer(403, 'AccessDenied', `<Message>Access Denied</Message>`, entry.operation === 'HeadBucket' ? regionHeader : {})
      // S3 copies (a part) only while the source holds the ETag named; moto ignores the condition.
      const ifMatch = req.headers['x-amz-copy-source-if-match'] as string | undefined
      if (ifMatch && !(await sourceEtagIs(req.headers['x-amz-copy-source'] as string, ifMatch))) {
        return answer(412, 'PreconditionFailed', '<Message>At least one of the pre-conditions you specified did not hold</Message><Condition>x-amz-copy-source-If-Match</Condition>')
      }
    }
    const counted = entry.operation === 'GetObject' ? 'out' : ['PutObject', 'UploadPart'].includes(entry.operation) ? 'in' : undefined
    if (counted === 'in') bytes[key?.endsWith('.zip') ? 'zip' : 'other'] += body.length
    // moto holds every bucket in one account and checks no signature; an unsigned request gets one
    // so that moto's own ACLs (private by default) do not stand in for the bed's policies.
    const headers = { ...req.headers, host: `127.0.0.1:${backend.port}`, ...(auth ? {} : { authorization: `AWS4-HMAC-SHA256 Credential=${backend.accessKeyId}/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}` }) }
    const forwarded = http.request({ host: '127.0.0.1', port: backend.port, method: req.method, path: `/${bucket ?? ''}${bucket && keyPath ? `/${keyPath}` : ''}${rawQuery ? `?${rawQuery}` : ''}`, headers, agent: upstream }, async (up) => {
      entry.status = up.statusCode ?? 0
      const outHeaders = { ...up.headers, ...(place ? { 'x-amz-bucket-region': place.region } : {}) }
      delete outHeaders.connection
      if (place?.kms && outHeaders.etag) outHeaders.etag = kmsEtag(String(outHeaders.etag))
      const rewrite = place?.kms && ['ListObjects', 'CopyObject', 'UploadPartCopy', 'CompleteMultipartUpload'].includes(entry.operation)
      if (!rewrite) {
        if (counted === 'out' && entry.status < 300) bytes[key?.endsWith('.zip') ? 'zip' : 'other'] += Number(up.headers['content-length'] ?? 0)
        res.writeHead(up.statusCode ?? 502, outHeaders)
        return void up.pipe(res)
      }
      const text = (await readBody(up)).toString('utf8').replace(/<ETag>([^<]*)<\/ETag>/g, (_, e: string) => `<ETag>${kmsEtag(e.replace(/&quot;|&#34;/g, '"')).replace(/"/g, '&quot;')}</ETag>`)
      outHeaders['content-length'] = String(Buffer.byteLength(text))
      res.writeHead(up.statusCode ?? 502, outHeaders).end(text)
    })
    forwarded.on('error', () => answer(500, 'InternalError', '<Message>backend unreachable</Message>'))
    forwarded.end(body)
  }

  /** Whether a copy source (`bucket/key`, encoded) holds this ETag now, as the client sees ETags. */
  async function sourceEtagIs(copySource: string, etag: string): Promise<boolean> {
    const [from, key] = splitOnce(decodeURIComponent(copySource.replace(/^\//, '').replace(/\?versionId=.*$/, '')))
    const head = await backendClient.send(new HeadObjectCommand({ Bucket: from, Key: key })).catch(() => undefined)
    const seen = places.get(from)?.kms && head?.ETag ? kmsEtag(head.ETag) : head?.ETag
    return seen !== undefined && seen.replace(/"/g, '') === etag.replace(/"/g, '')
  }

  /** Why S3 would refuse this request, if it would: a write by another than the owner, a read of a bucket not shared, a copy of an unreadable source. */
  function refusal(operation: string, bucket: string, key: string | undefined, who: string | undefined, copySource?: string): boolean {
    const mayRead = (b: string, k?: string) => {
      const p = places.get(b)
      if (!p) return true
      const denied = who !== undefined && p.deniedPrefix?.[who]
      if (denied && k?.startsWith(denied)) return false
      return p.public || (who !== undefined && (p.owner === who || (p.readers ?? []).includes(who)))
    }
    const writes = !/^(Get|Head|List)/.test(operation)
    if (writes ? places.get(bucket)!.owner !== who : !mayRead(bucket, key)) return true
    if (!copySource) return false
    const [from, rest] = splitOnce(decodeURIComponent(copySource.replace(/^\//, '').replace(/\?versionId=.*$/, '')))
    return !mayRead(from, rest)
  }

  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(443, ip, resolve))
  const caFile = path.join(work, 'ca.pem')
  await writeFile(caFile, ca)
  const client = backendClient
  return {
    // By their paths: a run may have a PATH without them (the single binary's bastion has only its tools).
    wrap: ['/usr/bin/unshare', '--mount', '/bin/sh', '-c', `/usr/bin/mount --bind ${path.join(work, 'hosts')} /etc/hosts && exec "$@"`, 'sh'],
    env: { AWS_CA_BUNDLE: caFile },
    identities,
    log,
    objectBytes: () => ({ ...bytes }),
    backend: () => client,
    async bucket(name, place) {
      places.set(name, place)
      await client.send(new CreateBucketCommand({ Bucket: name, ...(place.region === GLOBAL ? {} : { CreateBucketConfiguration: { LocationConstraint: place.region as any } }) }))
      hosts.push(...regions.map((r) => `${name}.s3.${r}.amazonaws.com`), `${name}.s3.amazonaws.com`)
      await writeHosts()
    },
    reset() {
      log.length = 0
      bytes.zip = bytes.other = 0
    },
    async stop() {
      client.destroy()
      upstream.destroy()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await backend.stop()
      await rm(work, { recursive: true, force: true })
    },
  }
}

/** s3.amazonaws.com, s3.REGION.amazonaws.com, s3-REGION.amazonaws.com, each with or without a bucket before it. */
function parseHost(host: string): { bucket?: string; region: string; global: boolean } | undefined {
  const m = /^(?:(.+)\.)?s3(?:[.-]([a-z]{2}-[a-z]+-\d))?\.amazonaws\.com$/.exec(host)
  if (!m) return undefined
  return { ...(m[1] ? { bucket: m[1] } : {}), region: m[2] ?? GLOBAL, global: !m[2] }
}

const splitOnce = (s: string): [string, string] => {
  const i = s.indexOf('/')
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)]
}

function operationOf(req: http.IncomingMessage, bucket?: string, key?: string, query = new URLSearchParams()): string {
  const copy = Boolean(req.headers['x-amz-copy-source'])
  if (!bucket) return 'ListBuckets'
  if (!key) {
    if (req.method === 'HEAD') return 'HeadBucket'
    if (req.method === 'POST' && query.has('delete')) return 'DeleteObjects'
    if (query.has('uploads')) return 'ListMultipartUploads'
    if (query.has('location')) return 'GetBucketLocation'
    return req.method === 'PUT' ? 'CreateBucket' : 'ListObjects'
  }
  if (req.method === 'GET') return 'GetObject'
  if (req.method === 'HEAD') return 'HeadObject'
  if (req.method === 'DELETE') return query.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject'
  if (req.method === 'POST') return query.has('uploads') ? 'CreateMultipartUpload' : 'CompleteMultipartUpload'
  if (query.has('partNumber')) return copy ? 'UploadPartCopy' : 'UploadPart'
  return copy ? 'CopyObject' : 'PutObject'
}

function readAuthorization(header: string | undefined): { accessKeyId: string; date: string; region: string; signedHeaders: string[]; signature: string } | undefined {
  if (!header) return undefined
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(header)
  return m ? { accessKeyId: m[1]!, date: m[2]!, region: m[3]!, signedHeaders: m[4]!.split(';'), signature: m[5]! } : undefined
}

/** The SDK's own signer, given the request as it arrived (path as sent, the signed headers only): the signature must be the same. */
async function signatureHolds(req: http.IncomingMessage, rawPath: string, query: URLSearchParams, auth: NonNullable<ReturnType<typeof readAuthorization>>, secretAccessKey: string): Promise<boolean> {
  const headers: Record<string, string> = {}
  for (const name of auth.signedHeaders) headers[name] = String(req.headers[name] ?? '')
  const amzDate = headers['x-amz-date'] ?? String(req.headers['x-amz-date'] ?? '')
  const signingDate = new Date(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'))
  const q: Record<string, string | string[]> = {}
  for (const [k, v] of query) q[k] = k in q ? [...[q[k]!].flat(), v] : v
  const signer = new SignatureV4({ service: 's3', region: auth.region, sha256: Sha256 as any, uriEscapePath: false, applyChecksum: false, credentials: { accessKeyId: auth.accessKeyId, secretAccessKey, ...(req.headers['x-amz-security-token'] ? { sessionToken: String(req.headers['x-amz-security-token']) } : {}) } })
  const request = { method: req.method!, protocol: 'https:', hostname: headers.host ?? '', path: rawPath, query: q, headers }
  const signed = await signer.sign(request, { signingDate, signableHeaders: new Set(auth.signedHeaders), unsignableHeaders: new Set(Object.keys(headers).filter((h) => !auth.signedHeaders.includes(h))) })
  return String(signed.headers.authorization ?? '').endsWith(`Signature=${auth.signature}`)
}

const kmsEtag = (etag: string) => `"${createHash('md5').update(`sse-kms:${etag.replace(/"/g, '')}`).digest('hex')}"`

const readBody = (stream: NodeJS.ReadableStream) => new Promise<Buffer>((resolve, reject) => {
  const chunks: Buffer[] = []
  stream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject)
})

/** A test CA and a certificate for S3's host names in `regions`: one wildcard label, as AWS's, so a dotted bucket cannot be a virtual host. */
async function makeCertificates(dir: string, regions: string[]) {
  const names = regions.flatMap((r) => [`s3.${r}.amazonaws.com`, `*.s3.${r}.amazonaws.com`, `s3-${r}.amazonaws.com`, `*.s3-${r}.amazonaws.com`]).concat('s3.amazonaws.com', '*.s3.amazonaws.com')
  const f = (name: string) => path.join(dir, name)
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=lakesync test CA'])
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=s3.amazonaws.com'])
  await writeFile(f('san.ext'), `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`)
  await run('openssl', ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '2', '-extfile', f('san.ext')])
  const [ca, key, cert] = await Promise.all([readFile(f('ca.crt'), 'utf8'), readFile(f('server.key')), readFile(f('server.crt'))])
  return { ca, key, cert }
}

export type { S3TestServer }
