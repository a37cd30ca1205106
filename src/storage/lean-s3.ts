import type { S3Client } from '@aws-sdk/client-s3'
import { EMPTY_SHA256, SigV4, type Credentials } from './sigv4.ts'
import { HttpPool, type HttpAnswer } from './http-pool.ts'
import { caBundle } from './ca-bundle.ts'
import { encodeCopySource, encodeKeyPath } from './copy-source.ts'

/**
 * CopyObject without the SDK's request path: the SDK's middleware stack, endpoint rules and
 * XML schema cost ~2 ms of CPU per copy, more than s5cmd spends on a whole object. Here a copy
 * is one signed PUT on a kept-alive socket and a glance at the small answer.
 *
 * The SDK still decides what is hard: the endpoint (its rules, for the bucket and region, once)
 * and the credentials (its provider chain, cached and refreshed before expiry). The signature
 * is SigV4 for this one request shape (sigv4.ts, held equal to the SDK's signer by a test).
 * Anything but a plain success is declined, so the caller can hand that copy to the SDK, whose
 * retries and error reading stay the rule.
 */
export class LeanS3 {
  private constructor(
    private readonly base: URL,
    private readonly signer: SigV4 | undefined,
    private readonly credentials: () => Promise<Credentials>,
    private readonly pool: HttpPool,
    private readonly signal: AbortSignal,
  ) {
    this.pathPrefix = base.pathname.replace(/\/$/, '')
  }

  /** The endpoint's own path (empty for most), before every key. */
  private readonly pathPrefix: string

  /**
   * A lean path to `bucket` through `client`'s endpoint and identity; undefined where the
   * endpoint needs more than SigV4 (S3 Express, multi-region access points). An anonymous
   * client's (empty credentials: public buckets such as the Binance archive) requests go unsigned.
   */
  static async open(client: S3Client, bucket: string, o: { endpoint?: string; maxSockets: number; timeoutMs: number; signal: AbortSignal }): Promise<LeanS3 | undefined> {
    // The client's resolved config (public and typed): its region, endpoint rules and credential chain.
    const { config } = client
    // No credentials at all: the SDK's path, which says so.
    const identity: Credentials | undefined = await config.credentials().catch(() => undefined)
    if (!identity) return undefined
    const region: string = await config.region()
    // A custom endpoint is the client's own (its config), unless the caller names one.
    const custom = o.endpoint ?? (config.endpoint ? urlOf(await config.endpoint()) : undefined)
    const endpoint = config.endpointProvider({
      Bucket: bucket, Region: region, ForcePathStyle: config.forcePathStyle, UseFIPS: await config.useFipsEndpoint(), UseDualStack: await config.useDualstackEndpoint(),
      ...(custom ? { Endpoint: custom } : {}),
    })
    const scheme = endpoint.properties?.authSchemes?.[0]
    if (scheme?.name !== 'sigv4' || Object.keys(endpoint.headers ?? {}).length) return undefined
    const signer = new SigV4(scheme.signingRegion ?? region, scheme.signingName ?? 's3')
    const url = new URL(endpoint.url.href)
    // The idle limit and the interrupt are set once (per socket, per path), not per request: a
    // request's own timer and abort listener cost as much as its signature.
    const lean = new LeanS3(url, identity.accessKeyId === '' ? undefined : signer, heldUntilExpiring(config.credentials), new HttpPool(url, { maxSockets: o.maxSockets, timeoutMs: o.timeoutMs, ...(url.protocol === 'https:' && caBundle() ? { tls: caBundle() } : {}) }), o.signal)
    o.signal.addEventListener('abort', lean.destroy, { once: true })
    return lean
  }

  /** Server-side copy of `sourceBucket/sourceKey` to `key` in this bucket, metadata copied; with `sha256` the server computes the copy's SHA-256. */
  async copyObject(sourceBucket: string, sourceKey: string, key: string, o: { sha256?: boolean; signal: AbortSignal }): Promise<LeanAnswer> {
    const { base } = this
    const headers: Record<string, string> = {
      host: base.host,
      'x-amz-copy-source': encodeCopySource(sourceBucket, sourceKey),
      'x-amz-metadata-directive': 'COPY',
      'x-amz-content-sha256': EMPTY_SHA256,
      'content-length': '0',
      ...(o.sha256 ? { 'x-amz-checksum-algorithm': 'SHA256' } : {}),
    }
    const answer = await this.request('PUT', key, headers, o.signal)
    return 'why' in answer ? { ok: false, why: answer.why } : readCopyAnswer(answer.status, answer.body)
  }

  /**
   * GET of a small object (a `.CHECKSUM` sidecar) as text: its body, `missing` on 404, or why
   * the lean path declines it (the caller asks the SDK then, whose retries stay the rule).
   */
  async getText(key: string, signal: AbortSignal): Promise<{ text: string } | 'missing' | { why: string }> {
    const answer = await this.request('GET', key, { host: this.base.host, 'x-amz-content-sha256': EMPTY_SHA256 }, signal)
    if ('why' in answer) return answer
    if (answer.status === 200) return { text: answer.body }
    if (answer.status === 404 && errorCode(answer.body) === ' NoSuchKey') return 'missing'
    return { why: `HTTP ${answer.status}${errorCode(answer.body)}` }
  }

  /** Closes the sockets: requests in flight end as failed. */
  readonly destroy = () => {
    this.signal.removeEventListener('abort', this.destroy)
    this.pool.destroy()
  }

  /** One request on a pooled socket; the answer's status and body, or why it has none. */
  private async request(method: 'GET' | 'PUT', key: string, headers: Record<string, string>, signal: AbortSignal): Promise<HttpAnswer> {
    if (signal.aborted) return { why: 'interrupted' }
    const path = `${this.pathPrefix}/${encodeKeyPath(key)}`
    const sent = this.signer ? this.signer.sign(method, path, headers, await this.credentials()) : headers
    return this.pool.request(method, path, sent, signal)
  }
}

/** Temporary credentials are asked for again this long before they expire, as the SDK refreshes them. */
const EXPIRY_WINDOW_MS = 5 * 60_000

/**
 * The provider's last credentials, kept until they near their expiry: asking the SDK's provider
 * chain for each request costs ~20 µs of its wrappers, and it answers from its cache anyway.
 * Credentials already inside the window when given (a role whose session ends soon, static
 * session keys) are asked for again once half their remaining life has passed, not per request;
 * callers waiting meanwhile share one ask.
 */
export function heldUntilExpiring(provider: () => Promise<Credentials & { expiration?: Date }>, now = Date.now): () => Promise<Credentials> {
  let held: Credentials | undefined
  let askAgainAt = Infinity
  let asking: Promise<Credentials> | undefined
  const ask = async () => {
    try {
      const fresh = await provider()
      const expires = fresh.expiration?.getTime() ?? Infinity
      const at = now()
      askAgainAt = expires - EXPIRY_WINDOW_MS > at ? expires - EXPIRY_WINDOW_MS : at + Math.max(MIN_ASK_INTERVAL_MS, (expires - at) / 2)
      return (held = fresh)
    } finally {
      asking = undefined
    }
  }
  return async () => (held && now() < askAgainAt ? held : (asking ??= ask()))
}

/** Expired credentials the provider keeps giving are asked for again at most this often. */
const MIN_ASK_INTERVAL_MS = 1000

/** The SDK's resolved endpoint ({ protocol, hostname, port, path }) as a URL. */
function urlOf(e: { protocol: string; hostname: string; port?: number; path?: string }): string {
  return `${e.protocol}//${e.hostname}${e.port ? `:${e.port}` : ''}${e.path ?? ''}`
}

/** A plain success (with the new object's ETag, and the copy's SHA-256 when asked), or why the lean path declines the copy. */
export type LeanAnswer = { ok: true; etag?: string; sha256?: string } | { ok: false; why: string }

/**
 * A CopyObject answer: success is HTTP 200 with a CopyObjectResult. S3 may answer 200 and then
 * send an Error body (the copy failed while it ran), so the body is read, not just the status.
 */
export function readCopyAnswer(status: number, body: string): LeanAnswer {
  if (status !== 200) return { ok: false, why: `HTTP ${status}${errorCode(body)}` }
  if (!/<CopyObjectResult[\s>]/.test(body)) return { ok: false, why: `HTTP 200 without a CopyObjectResult${errorCode(body)}` }
  const sha = /<ChecksumSHA256>([A-Za-z0-9+/=]+)<\/ChecksumSHA256>/.exec(body)?.[1]
  // An ETag is quoted hex (and "-N" for multipart); S3 writes its quotes as &quot;.
  const etag = /<ETag>([^<]{1,128})<\/ETag>/.exec(body)?.[1]?.replace(/&quot;|&#34;/g, '"')
  return { ok: true, ...(etag ? { etag } : {}), ...(sha ? { sha256: Buffer.from(sha, 'base64').toString('hex') } : {}) }
}

const errorCode = (body: string) => {
  const code = /<Code>([^<]{1,64})<\/Code>/.exec(body)?.[1]
  return code ? ` ${code}` : ''
}
