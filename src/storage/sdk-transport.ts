import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCopyCommand,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3'
import type { Readable } from 'node:stream'
import type { ConnectionConfig } from '../api/config.ts'
import { createS3Client, type ClientOptions } from './client.ts'
import { encodeCopySource } from './copy-source.ts'
import { errorCode, IncompleteListingError } from './errors.ts'
import { cutText } from '../util/printable.ts'
import { decodeUrlKey, parseListBucketResult } from './list-xml.ts'
import type { BucketAnswer, CopyAnswer, FolderPage, ListInput, ListPage, ObjectHead, ObjectMeta, S3Transport } from '../api/transport.ts'

const MISSING = new Set(['NoSuchKey', 'NotFound'])

/**
 * The transport through the AWS SDK: its signing, endpoint rules, retries and error reading.
 * Its requests are counted and paced by the client's own middleware (each attempt).
 */
export class SdkTransport implements S3Transport {
  readonly name = 'sdk'

  /** `client`: for what needs the SDK itself (its multipart Upload, plugins given a client); lakesync's own requests go through the methods. */
  constructor(readonly client: S3Client) {}

  static open(conn: ConnectionConfig, options: ClientOptions = {}): SdkTransport {
    return new SdkTransport(createS3Client(conn, options))
  }

  /**
   * One page read by the fast reader of list-xml.ts: a middleware on this command alone takes
   * the raw body and leaves the SDK an empty result to parse. Keys are asked url-encoded (a raw
   * CR in XML would come back as a newline) and decoded here.
   */
  async listPage(input: ListInput, signal?: AbortSignal): Promise<ListPage> {
    const command = listCommand(input)
    let fast: ListPage | undefined
    addCompletenessChecks(command, (raw) => {
      fast = parseListBucketResult(raw) // each attempt reads its own body
      return fast ? EMPTY_RESULT : undefined
    })
    const output = await this.client.send(command, { abortSignal: signal })
    if (fast) return fast
    const { keys } = decodedOutput(output)
    return {
      objects: (output.Contents ?? []).map((o, i) => ({ key: keys[i]!, size: o.Size ?? 0, etag: o.ETag ?? '', ...(o.LastModified ? { modified: o.LastModified.getTime() } : {}) })),
      truncated: Boolean(output.IsTruncated),
      ...(output.NextContinuationToken ? { nextToken: output.NextContinuationToken } : {}),
    }
  }

  async listFolders(input: ListInput, signal?: AbortSignal): Promise<FolderPage> {
    const command = listCommand(input, '/')
    addCompletenessChecks(command)
    const output = await this.client.send(command, { abortSignal: signal })
    return { ...decodedOutput(output), truncated: Boolean(output.IsTruncated), ...(output.NextContinuationToken ? { nextToken: output.NextContinuationToken } : {}) }
  }

  async head(bucket: string, key: string, signal?: AbortSignal, o: { sha256?: boolean } = {}): Promise<ObjectHead | undefined> {
    try {
      const h = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...(o.sha256 ? { ChecksumMode: 'ENABLED' as const } : {}) }), { abortSignal: signal })
      const sha = h.ChecksumSHA256 && !h.ChecksumSHA256.includes('-') ? base64ToHex(h.ChecksumSHA256) : undefined
      const { ContentType, Metadata, ContentEncoding, CacheControl, ContentDisposition, ContentLanguage, Expires } = h
      return { size: h.ContentLength ?? 0, ...(h.ETag ? { etag: h.ETag } : {}), ...(sha ? { sha256: sha } : {}), meta: { ContentType, Metadata, ContentEncoding, CacheControl, ContentDisposition, ContentLanguage, Expires } }
    } catch (error) {
      if (MISSING.has(errorCode(error) ?? '')) return undefined
      throw error
    }
  }

  /** S3 sends x-amz-bucket-region on 200 and on its wrong-region (301, 400) and refusal (403) answers alike; a HEAD has no body to name the error. */
  async headBucket(bucket: string, signal?: AbortSignal): Promise<BucketAnswer> {
    try {
      const head = await this.client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal })
      return { status: 200, ...(head.BucketRegion ? { region: head.BucketRegion } : {}) }
    } catch (error) {
      if (signal?.aborted) throw error
      const e = error as { $response?: { statusCode?: number; headers?: Record<string, string> }; name?: string; $metadata?: { httpStatusCode?: number } }
      const region = e.$response?.headers?.['x-amz-bucket-region']
      const status = e.$response?.statusCode ?? e.$metadata?.httpStatusCode
      return { ...(region ? { region } : {}), ...(status ? { status } : {}), answer: `${status ?? ''} ${HEAD_ANSWERS[status ?? 0] ?? e.name ?? ''}`.trim() }
    }
  }

  async copyObject(source: { bucket: string; key: string }, bucket: string, key: string, o: { sha256?: boolean; meta?: ObjectMeta; signal?: AbortSignal } = {}): Promise<CopyAnswer> {
    const r = await this.client.send(
      new CopyObjectCommand({
        Bucket: bucket, Key: key, CopySource: encodeCopySource(source.bucket, source.key),
        ...(o.meta ? { MetadataDirective: 'REPLACE' as const, ...o.meta } : { MetadataDirective: 'COPY' as const }),
        ...(o.sha256 ? { ChecksumAlgorithm: 'SHA256' as const } : {}),
      }),
      { abortSignal: o.signal },
    )
    const { ETag: etag, ChecksumSHA256: sha } = r.CopyObjectResult ?? {}
    return { ...(etag ? { etag } : {}), ...(sha ? { sha256: base64ToHex(sha) } : {}) }
  }

  async getText(bucket: string, key: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal })
      return await r.Body!.transformToString()
    } catch (error) {
      if (MISSING.has(errorCode(error) ?? '')) return undefined
      throw error
    }
  }

  /** Tags cost one more request, only for tagged objects. */
  async getObject(bucket: string, key: string, signal?: AbortSignal): Promise<{ body: Readable; meta: ObjectMeta }> {
    const r = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal })
    const { ContentType, Metadata, ContentEncoding, CacheControl, ContentDisposition, ContentLanguage, Expires } = r
    const meta: ObjectMeta = { ContentType, Metadata, ContentEncoding, CacheControl, ContentDisposition, ContentLanguage, Expires }
    if (r.TagCount) {
      try {
        const tags = await this.client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }), { abortSignal: signal })
        meta.Tagging = new URLSearchParams((tags.TagSet ?? []).map((t) => [t.Key!, t.Value ?? ''])).toString()
      } catch (error) {
        ;(r.Body as Readable).destroy()
        throw error
      }
    }
    return { body: r.Body as Readable, meta }
  }

  /** Above one part, lib-storage's Upload: three parts in flight, its parts aborted on failure, so nothing half-written is left. */
  async putObject(bucket: string, key: string, body: Readable, o: { size: number; partSize: number; meta?: ObjectMeta; signal?: AbortSignal }): Promise<{ etag?: string }> {
    const params = { Bucket: bucket, Key: key, Body: body, ...o.meta }
    if (o.size <= o.partSize) {
      const { ETag: etag } = await this.client.send(new PutObjectCommand({ ...params, ContentLength: o.size }), { abortSignal: o.signal })
      return etag ? { etag } : {}
    }
    // Loaded here: only traditional copies of large objects and manifests need it, not every start.
    const { Upload } = await import('@aws-sdk/lib-storage')
    const { ETag: etag } = await new Upload({ client: this.client, params, partSize: o.partSize, queueSize: 3, leavePartsOnError: false, abortController: abortControllerFor(o.signal) }).done()
    return etag ? { etag } : {}
  }

  async deleteObjects(bucket: string, keys: string[], signal?: AbortSignal): Promise<{ key: string; error: string }[]> {
    const r = await this.client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }), { abortSignal: signal })
    return (r.Errors ?? []).map((e) => ({ key: e.Key ?? '', error: `${e.Code}: ${e.Message}` }))
  }

  async createMultipart(bucket: string, key: string, meta: ObjectMeta, signal?: AbortSignal): Promise<string> {
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...meta }), { abortSignal: signal })
    if (!UploadId) throw new Error(`the server opened a multipart upload of ${key} without an UploadId`)
    return UploadId
  }

  async uploadPartCopy(source: { bucket: string; key: string; range: string; ifMatch?: string }, bucket: string, key: string, part: { uploadId: string; number: number }, signal?: AbortSignal): Promise<string> {
    const r = await this.client.send(
      new UploadPartCopyCommand({ Bucket: bucket, Key: key, UploadId: part.uploadId, PartNumber: part.number, CopySource: encodeCopySource(source.bucket, source.key), CopySourceRange: source.range, ...(source.ifMatch ? { CopySourceIfMatch: source.ifMatch } : {}) }),
      { abortSignal: signal },
    )
    return r.CopyPartResult?.ETag ?? ''
  }

  async completeMultipart(bucket: string, key: string, uploadId: string, parts: { number: number; etag: string }[], signal?: AbortSignal): Promise<void> {
    const sorted = [...parts].sort((a, b) => a.number - b.number).map((p) => ({ PartNumber: p.number, ETag: p.etag }))
    await this.client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: sorted } }), { abortSignal: signal })
  }

  async abortMultipart(bucket: string, key: string, uploadId: string, signal?: AbortSignal): Promise<void> {
    await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }), { abortSignal: signal })
  }

  destroy(): void {
    this.client.destroy()
  }
}

/** What S3 calls its answers to a HEAD of a bucket (they carry no body to name them). */
const HEAD_ANSWERS: Record<number, string> = { 301: 'PermanentRedirect', 307: 'TemporaryRedirect', 400: 'AuthorizationHeaderMalformed', 403: 'AccessDenied', 404: 'NoSuchBucket' }

export const base64ToHex = (b64: string) => Buffer.from(b64, 'base64').toString('hex')

const listCommand = (input: ListInput, delimiter?: '/') =>
  new ListObjectsV2Command({
    Bucket: input.bucket, EncodingType: 'url',
    ...(input.prefix ? { Prefix: input.prefix } : {}), ...(input.startAfter ? { StartAfter: input.startAfter } : {}),
    ...(input.token ? { ContinuationToken: input.token } : {}), ...(input.maxKeys ? { MaxKeys: input.maxKeys } : {}),
    ...(delimiter ? { Delimiter: delimiter } : {}),
  })

const EMPTY_RESULT = new TextEncoder().encode('<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>')

const describeBody = (raw: Buffer) => {
  const text = raw.toString('utf8', 0, 200).replace(/\s+/g, ' ').trim()
  return text ? `a body that is not a ListBucketResult (${JSON.stringify(cutText(text, 60))}…)` : 'an empty body'
}

/**
 * Proves each page whole before it is used: the raw body must be a ListBucketResult (checked
 * as it arrives), and the parsed page must carry a token when it says more follow. Both checks
 * throw inside the SDK's retry loop (`IncompleteListingError` is retryable like a 5xx); if it
 * persists, the listing fails instead of ending early, since a listing that ends early would
 * make every later key look absent (and --delete delete it).
 */
function addCompletenessChecks(command: ListObjectsV2Command, onRaw?: (raw: Buffer) => Uint8Array | undefined) {
  command.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args)
      const response = result.response as { statusCode?: number; body?: any }
      if (response.statusCode === 200) {
        const raw = response.body ? await readBody(response.body) : Buffer.alloc(0)
        if (!/<ListBucketResult[\s>]/.test(raw.toString('utf8', 0, 4096))) throw new IncompleteListingError(`the server answered a listing with ${describeBody(raw)}`)
        // A body cut short with clean framing (a server failing mid-stream ends its chunked body
        // cleanly) is no page, however many keys it holds: --delete would act on the missing ones.
        if (!/<\/(?:[A-Za-z_][\w.-]*:)?ListBucketResult>\s*$/.test(raw.toString('utf8', Math.max(0, raw.length - 256)))) throw new IncompleteListingError(`the server's listing page was cut short (${raw.length} bytes, no closing </ListBucketResult>)`)
        response.body = onRaw?.(raw) ?? new Uint8Array(raw)
      }
      return result
    },
    { step: 'deserialize', priority: 'low', name: 'lakesyncListingBody' },
  )
  command.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args)
      const output = result.output as ListObjectsV2CommandOutput
      if (output.IsTruncated && !output.NextContinuationToken) throw new IncompleteListingError('the server said the listing is truncated but sent no continuation token')
      return result
    },
    { step: 'deserialize', priority: 'high', name: 'lakesyncListingTruncation' },
  )
}

/** Keys and prefixes of an SDK-parsed page, url-decoded when the server encoded them. */
function decodedOutput(output: ListObjectsV2CommandOutput): { keys: string[]; prefixes: string[] } {
  const decode = (s: string) => (output.EncodingType === 'url' ? decodeUrlKey(s) : s)
  return { keys: (output.Contents ?? []).map((o) => decode(o.Key!)), prefixes: (output.CommonPrefixes ?? []).map((p) => decode(p.Prefix!)) }
}

async function readBody(body: any): Promise<Buffer> {
  if (body instanceof Uint8Array) return Buffer.from(body)
  const chunks: Buffer[] = []
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks)
}

function abortControllerFor(signal: AbortSignal | undefined): AbortController {
  const c = new AbortController()
  if (signal?.aborted) c.abort()
  else signal?.addEventListener('abort', () => c.abort(), { once: true })
  return c
}
