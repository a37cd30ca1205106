import type { Readable } from 'node:stream'
/** One ListObjectsV2 page: `modified` is LastModified in ms since 1970, when the server sent one. */
export interface ListPage {
  objects: { key: string; size: number; etag: string; modified?: number }[]
  truncated: boolean
  nextToken?: string
}

/** One ListObjectsV2 request: no delimiter (`listPage`), or '/' (`listFolders`). */
export interface ListInput {
  bucket: string
  prefix?: string
  startAfter?: string
  token?: string
  maxKeys?: number
}

/** One page of a '/'-delimited listing: the loose keys and the folders (common prefixes). */
export interface FolderPage {
  keys: string[]
  prefixes: string[]
  truncated: boolean
  nextToken?: string
}

/** What a HEAD of an object tells. */
export interface ObjectHead {
  size: number
  etag?: string
  /** The SHA-256 the server stored (hex), when asked for and the object has a whole-object one. */
  sha256?: string
  meta: ObjectMeta
}

/** The metadata a copy carries from the source to the destination. */
export interface ObjectMeta {
  ContentType?: string
  Metadata?: Record<string, string>
  ContentEncoding?: string
  CacheControl?: string
  ContentDisposition?: string
  ContentLanguage?: string
  Expires?: Date
  /** URL-encoded tags (`a=1&b=2`). */
  Tagging?: string
}

/** A CopyObject's answer: the new object's ETag, and its SHA-256 (hex) when the copy was asked to compute one. */
export interface CopyAnswer {
  etag?: string
  sha256?: string
  /** `sdk`: the lean transport declined the request and the SDK's sent it (the copy is then the sdk engine's). */
  sentBy?: 'sdk'
}

/** A bucket's region as HeadBucket's answer tells it (`x-amz-bucket-region`), with any status; `answer` names a status other than 200. */
export interface BucketAnswer {
  region?: string
  status?: number
  answer?: string
}

/**
 * Everything lakesync asks of an S3 service, through one connection's identity, endpoint and
 * region. Failures throw the service's error as the SDK shapes it (`errorCode`, `classify`,
 * `describeS3Error` in storage/errors.ts read it); a missing object is `undefined`, not an error.
 * Every request (each attempt) is counted and paced by the transport's meters.
 *
 * Two implementations: the SDK's (storage/sdk-transport.ts), and the lean one (storage/lean-transport.ts),
 * which sends the requests a run makes per object (CopyObject, a sidecar's GET) itself and hands
 * the rest, and whatever it declines, to the SDK's. test/e2e/transport.test.ts holds both to one
 * contract on every server of the test bed.
 */
export interface S3Transport {
  readonly name: 'sdk' | 'lean'
  /** A listing page, checked whole (a cut page is an `IncompleteListing` error, retried), keys decoded. */
  listPage(input: ListInput, signal?: AbortSignal): Promise<ListPage>
  /** A '/'-delimited listing page, checked like every other. */
  listFolders(input: ListInput, signal?: AbortSignal): Promise<FolderPage>
  head(bucket: string, key: string, signal?: AbortSignal, o?: { sha256?: boolean }): Promise<ObjectHead | undefined>
  headBucket(bucket: string, signal?: AbortSignal): Promise<BucketAnswer>
  /** Server-side copy of `source` to `bucket/key`, metadata copied (or replaced by `meta`); `sha256`: the server computes the copy's SHA-256. */
  copyObject(source: { bucket: string; key: string }, bucket: string, key: string, o?: { sha256?: boolean; meta?: ObjectMeta; signal?: AbortSignal }): Promise<CopyAnswer>
  /** A small object (a `.CHECKSUM` sidecar) as text; undefined when it does not exist. */
  getText(bucket: string, key: string, signal?: AbortSignal): Promise<string | undefined>
  /** An object's bytes as a stream, with the metadata and tags a copy carries. */
  getObject(bucket: string, key: string, signal?: AbortSignal): Promise<{ body: Readable; meta: ObjectMeta }>
  /** Writes a body of known size: one PutObject up to `partSize`, else a multipart upload aborted on failure; the new object's ETag. */
  putObject(bucket: string, key: string, body: Readable, o: { size: number; partSize: number; meta?: ObjectMeta; signal?: AbortSignal }): Promise<{ etag?: string }>
  /** Deletes up to 1,000 keys in one request; the keys the server refused, with why. */
  deleteObjects(bucket: string, keys: string[], signal?: AbortSignal): Promise<{ key: string; error: string }[]>
  createMultipart(bucket: string, key: string, meta: ObjectMeta, signal?: AbortSignal): Promise<string>
  /** Copies a byte range of `source` (only while its ETag is `ifMatch`) as one part; the part's ETag. */
  uploadPartCopy(source: { bucket: string; key: string; range: string; ifMatch?: string }, bucket: string, key: string, part: { uploadId: string; number: number }, signal?: AbortSignal): Promise<string>
  completeMultipart(bucket: string, key: string, uploadId: string, parts: { number: number; etag: string }[], signal?: AbortSignal): Promise<void>
  abortMultipart(bucket: string, key: string, uploadId: string, signal?: AbortSignal): Promise<void>
  /** Closes its sockets: requests in flight fail. */
  destroy(): void
}
