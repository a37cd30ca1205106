import type { DeserializeMiddleware } from '@smithy/types'
import http from 'node:http'
import https from 'node:https'
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'
import { fromIni } from '@aws-sdk/credential-providers'
import type { ConnectionConfig } from '../api/config.ts'
import type { RateLimiter } from '../util/rate.ts'
import { metered, type RequestCounter } from './meters.ts'
import { stallSeconds } from '../util/env.ts'
import { serviceOf } from '../config/service.ts'
import { caBundle } from './ca-bundle.ts'
import { envEndpoint } from '../config/endpoint.ts'

const noop = () => {}
const QUIET = { trace: noop, debug: noop, info: noop, warn: noop, error: noop }

export interface ClientOptions {
  counter?: RequestCounter
  maxAttempts?: number
  /** Every request (each attempt) waits for its turn here: --max-rps. */
  limiter?: RateLimiter
  /** Requests in flight at once (the socket pool); the job's concurrency plus room for listings and checks. */
  maxSockets?: number
}

/** Sockets beyond the copies in flight: listings, size checks, multipart parts. */
export const SOCKET_HEADROOM = 16

/** A connection's own credentials (inline or a profile), else nothing: the SDK's default chain. */
export function credentialsOption(conn: ConnectionConfig): Pick<S3ClientConfig, 'credentials'> {
  return conn.credentials ? { credentials: conn.credentials } : conn.profile ? { credentials: fromIni({ profile: conn.profile }) } : {}
}

/** Whether a connection's requests go over TLS: AWS's, or an https endpoint (its own or the environment's). */
const speaksTls = (conn: ConnectionConfig) => !(conn.endpoint ?? envEndpoint()?.url ?? 'https:').startsWith('http:')

/** One S3 client per connection; anonymous connections send unsigned requests. */
export function createS3Client(conn: ConnectionConfig, options: ClientOptions = {}): S3Client {
  const client = new S3Client({
    region: conn.region ?? 'us-east-1',
    ...(conn.endpoint ? { endpoint: conn.endpoint } : {}),
    // Virtual-hosted on AWS (the SDK's rules fall back to path-style for dotted names over TLS),
    // path-style on other servers, whose host names rarely carry buckets.
    forcePathStyle: conn.pathStyle ?? (Boolean(conn.endpoint) && !serviceOf(conn).aws),
    maxAttempts: options.maxAttempts ?? 5,
    // A request the server accepts and then leaves silent fails after this much inactivity
    // (a TimeoutError, retried) instead of holding a copy forever. Generous: a large single-part
    // copy can be silent for minutes on servers that send no keep-alive bytes.
    // The pool follows the job's concurrency: the SDK's default of 50 sockets would quietly cap it.
    // Agents, not agent options: given options, the SDK sends a body with `Expect: 100-continue`
    // (above 2 MB) through a fresh agent of its own, which would not trust AWS_CA_BUNDLE.
    requestHandler: {
      socketTimeout: stallSeconds('LAKESYNC_SOCKET_TIMEOUT_SECONDS') * 1000,
      connectionTimeout: 30_000,
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 + SOCKET_HEADROOM }),
      httpsAgent: new https.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 + SOCKET_HEADROOM, ...(speaksTls(conn) ? caBundle() : {}) }),
    },
    // The SDK warns on the console (e.g. a streamed upload it cannot retry itself); lakesync
    // retries and reports per item, so those lines would only be noise in its output.
    logger: QUIET,
    // Third-party S3 servers reject the SDK's newer default checksum headers on some calls.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(conn.anonymous
      ? { credentials: { accessKeyId: '', secretAccessKey: '' }, signer: { sign: async (request: any) => request } }
      : credentialsOption(conn)),
  })
  // With any logger but the SDK's own no-op one, its logger middleware copies every response
  // through a redaction filter (a fifth of a listing's CPU); lakesync logs nothing through it.
  client.middlewareStack.remove('loggerMiddleware')
  noteErrorsInOkAnswers(client)
  const { counter, limiter } = options
  if (counter || limiter) {
    // Each attempt, inside the SDK's retry loop: a retried request counts (and waits its turn) again.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await metered({ counter, limiter }, String(context.commandName ?? 'unknown').replace(/Command$/, ''), () => next(args))
        // Inside the deserializer: an error answer is still a raw response here, its status is the signal.
        if (counter && (out.response as { statusCode?: number } | undefined)?.statusCode === 503) counter.throttled++
        return out
      },
      { step: 'deserialize', name: 'lakesyncRequestCounter', priority: 'low' },
    )
  }
  return client
}

/**
 * S3 may answer a copy 200 and then fail it in the body; the SDK then reports the error with
 * HTTP 503 (so that it is retried). The status the server really sent is kept on the error
 * (`$okStatus`), so a failure says "HTTP 200 with an error in its body", not a 503 nobody sent.
 */
function noteErrorsInOkAnswers(client: S3Client) {
  // Innermost of the deserialize step, inside the SDK's middleware that rewrites the status: it sees the answer first.
  const sentStatus: DeserializeMiddleware<any, any> = (next, context) => async (args) => {
    const result = await next(args)
    ;(context as { sentStatus?: number }).sentStatus = (result.response as { statusCode?: number }).statusCode
    return result
  }
  client.middlewareStack.add(sentStatus, { step: 'deserialize', priority: 'low', name: 'lakesyncSentStatus' })
  client.middlewareStack.add(
    (next, context) => (args) => next(args).catch((error) => {
      const sent = (context as { sentStatus?: number }).sentStatus
      if (sent !== undefined && sent >= 200 && sent < 300 && error?.$metadata) error.$okStatus = sent
      throw error
    }),
    { step: 'initialize', priority: 'high', name: 'lakesyncOkStatus' },
  )
}

