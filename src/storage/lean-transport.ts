import type { Readable } from 'node:stream'
import { LeanS3 } from './lean-s3.ts'
import { metered, type Meters } from './meters.ts'
import type { SdkTransport } from './sdk-transport.ts'
import type { CopyAnswer, ObjectMeta, S3Transport } from '../api/transport.ts'

/**
 * The transport that sends the requests a run makes per object itself (a CopyObject that keeps
 * the metadata, a sidecar's GET: storage/lean-s3.ts, a quarter to a half of the SDK's CPU each)
 * and everything else through the SDK's transport it wraps. A request the lean path declines (an
 * error answer, a timeout, an endpoint it does not handle) is sent again through the SDK, whose
 * retries and error reading stay the rule. An anonymous connection's requests go unsigned. Its
 * requests are counted and paced by the same meters as the SDK's.
 */
export class LeanTransport implements S3Transport {
  readonly name = 'lean'
  /** One lean path per bucket, opened at its first request. */
  private readonly paths = new Map<string, Promise<LeanS3 | undefined>>()
  private readonly closed = new AbortController()

  /** `maxSockets`: the lean path's own pool per bucket; `timeoutMs`: a request silent this long is declined. */
  constructor(readonly sdk: SdkTransport, private readonly o: { meters: Meters; maxSockets: number; timeoutMs: number }) {}

  async copyObject(source: { bucket: string; key: string }, bucket: string, key: string, o: { sha256?: boolean; meta?: ObjectMeta; signal?: AbortSignal } = {}): Promise<CopyAnswer> {
    const lean = o.meta ? undefined : await this.path(bucket)
    if (lean) {
      const answer = await metered(this.o.meters, 'CopyObject', () => lean.copyObject(source.bucket, source.key, key, { ...(o.sha256 ? { sha256: true } : {}), signal: o.signal ?? this.closed.signal }))
      if (answer.ok) return { ...(answer.etag ? { etag: answer.etag } : {}), ...(answer.sha256 ? { sha256: answer.sha256 } : {}) }
      if (answer.why.startsWith('HTTP 503') && this.o.meters.counter) this.o.meters.counter.throttled++
      if (o.signal?.aborted) throw Object.assign(new Error('interrupted'), { name: 'AbortError' })
    }
    return { ...(await this.sdk.copyObject(source, bucket, key, o)), sentBy: 'sdk' }
  }

  async getText(bucket: string, key: string, signal?: AbortSignal): Promise<string | undefined> {
    const lean = await this.path(bucket)
    const answer = lean ? await metered(this.o.meters, 'GetObject', () => lean.getText(key, signal ?? this.closed.signal)) : undefined
    if (answer === 'missing') return undefined
    if (answer && 'text' in answer) return answer.text
    return this.sdk.getText(bucket, key, signal)
  }

  private path(bucket: string): Promise<LeanS3 | undefined> {
    let path = this.paths.get(bucket)
    if (!path) {
      path = LeanS3.open(this.sdk.client, bucket, { ...this.o, signal: this.closed.signal }).catch(() => undefined)
      this.paths.set(bucket, path)
    }
    return path
  }

  listPage = (...a: Parameters<S3Transport['listPage']>) => this.sdk.listPage(...a)
  listFolders = (...a: Parameters<S3Transport['listFolders']>) => this.sdk.listFolders(...a)
  head = (...a: Parameters<S3Transport['head']>) => this.sdk.head(...a)
  headBucket = (...a: Parameters<S3Transport['headBucket']>) => this.sdk.headBucket(...a)
  getObject = (bucket: string, key: string, signal?: AbortSignal): Promise<{ body: Readable; meta: ObjectMeta }> => this.sdk.getObject(bucket, key, signal)
  putObject = (...a: Parameters<S3Transport['putObject']>) => this.sdk.putObject(...a)
  deleteObjects = (...a: Parameters<S3Transport['deleteObjects']>) => this.sdk.deleteObjects(...a)
  createMultipart = (...a: Parameters<S3Transport['createMultipart']>) => this.sdk.createMultipart(...a)
  uploadPartCopy = (...a: Parameters<S3Transport['uploadPartCopy']>) => this.sdk.uploadPartCopy(...a)
  completeMultipart = (...a: Parameters<S3Transport['completeMultipart']>) => this.sdk.completeMultipart(...a)
  abortMultipart = (...a: Parameters<S3Transport['abortMultipart']>) => this.sdk.abortMultipart(...a)

  destroy(): void {
    this.closed.abort()
    this.sdk.destroy()
  }
}
