import { S3Client } from '@aws-sdk/client-s3'
import { fromIni } from '@aws-sdk/credential-providers'
import type { ConnectionConfig } from '../config/types.ts'
import type { RequestCounts } from '../run/events.ts'
import type { RateLimiter } from '../util/rate.ts'
import { secondsFromEnv } from '../util/env.ts'

/** Counts the requests really sent (per attempt, after retries are decided), by S3 operation. */
export class RequestCounter {
  readonly counts: RequestCounts = {}
  add(operation: string, n = 1) {
    this.counts[operation] = (this.counts[operation] ?? 0) + n
  }
  get total() {
    return Object.values(this.counts).reduce((a, b) => a + b, 0)
  }
}

const noop = () => {}
const QUIET = { trace: noop, debug: noop, info: noop, warn: noop, error: noop }

export interface ClientOptions {
  counter?: RequestCounter
  maxAttempts?: number
  /** Every request (each attempt) waits for its turn here: --max-rps. */
  limiter?: RateLimiter
}

/** One S3 client per connection; anonymous connections send unsigned requests. */
export function createS3Client(conn: ConnectionConfig, options: ClientOptions = {}): S3Client {
  const client = new S3Client({
    region: conn.region ?? 'us-east-1',
    ...(conn.endpoint ? { endpoint: conn.endpoint } : {}),
    forcePathStyle: conn.pathStyle ?? Boolean(conn.endpoint),
    maxAttempts: options.maxAttempts ?? 5,
    // A request the server accepts and then leaves silent fails after this much inactivity
    // (a TimeoutError, retried) instead of holding a copy forever. Generous: a large single-part
    // copy can be silent for minutes on servers that send no keep-alive bytes.
    requestHandler: { socketTimeout: secondsFromEnv('LAKESYNC_SOCKET_TIMEOUT_SECONDS', 600) * 1000, connectionTimeout: 30_000 },
    // The SDK warns on the console (e.g. a streamed upload it cannot retry itself); lakesync
    // retries and reports per item, so those lines would only be noise in its output.
    logger: QUIET,
    // Third-party S3 servers reject the SDK's newer default checksum headers on some calls.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(conn.anonymous
      ? { credentials: { accessKeyId: '', secretAccessKey: '' }, signer: { sign: async (request: any) => request } }
      : conn.credentials
        ? { credentials: conn.credentials }
        : conn.profile
          ? { credentials: fromIni({ profile: conn.profile }) }
          : {}),
  })
  // With any logger but the SDK's own no-op one, its logger middleware copies every response
  // through a redaction filter (a fifth of a listing's CPU); lakesync logs nothing through it.
  client.middlewareStack.remove('loggerMiddleware')
  const { counter, limiter } = options
  if (counter || limiter) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        await limiter?.take()
        counter?.add(String(context.commandName ?? 'unknown').replace(/Command$/, ''))
        return next(args)
      },
      { step: 'deserialize', name: 'lakesyncRequestCounter', priority: 'low' },
    )
  }
  return client
}

/** The source and destination clients of a job: one client when both sides share a connection. */
export function clientsFor(source: ConnectionConfig, destination: ConnectionConfig, options: ClientOptions = {}): { source: S3Client; dest: S3Client; destroy(): void } {
  const src = createS3Client(source, options)
  const dest = connectionKey(source) === connectionKey(destination) ? src : createS3Client(destination, options)
  return { source: src, dest, destroy: () => (src.destroy(), dest !== src && dest.destroy()) }
}

/** A stable identity for "same endpoint and same principal": s5cmd needs that for both sides. */
export function connectionKey(conn: ConnectionConfig): string {
  const who = conn.anonymous ? 'anonymous' : conn.credentials ? `key:${conn.credentials.accessKeyId}` : `profile:${conn.profile ?? ''}`
  return `${conn.endpoint ?? 'aws'}|${conn.region ?? ''}|${who}`
}
