import type { S3Transport } from '../api/transport.ts'
import { PreflightError } from '../api/errors.ts'
import { describeEndpoint } from '../config/endpoint.ts'
import { describeS3Error, errorCode } from './errors.ts'
import { isOfClass } from '../api/error-classes.ts'
import type { ResolvedLocation } from '../api/config.ts'

/** Lists one key of a location: proves the endpoint answers, the bucket exists and we may list it. */
export async function checkLocation(transport: S3Transport, loc: ResolvedLocation, role: 'source' | 'destination', signal: AbortSignal) {
  await asPreflight(transport.listPage({ bucket: loc.bucket, prefix: loc.prefix, maxKeys: 1 }, signal), loc, role, signal)
}

/** A first request of a side: its error (endpoint, bucket, credentials) becomes a PreflightError naming the side. */
export async function asPreflight<T>(work: Promise<T>, loc: ResolvedLocation, role: 'source' | 'destination', signal: AbortSignal): Promise<T> {
  try {
    return await work
  } catch (error) {
    if (signal.aborted) throw error
    throw preflightError(error, `${role} s3://${loc.bucket}/${loc.prefix}`, loc)
  }
}

export function isAccessRefused(error: unknown): boolean {
  return isOfClass('accessRefused', errorCode(error)) || (error as any)?.$metadata?.httpStatusCode === 403
}

export function preflightError(error: unknown, where: string, loc: ResolvedLocation): PreflightError {
  const code = errorCode(error) ?? ''
  const endpoint = describeEndpoint(loc.connection.endpoint)
  const status = (error as any)?.$metadata?.httpStatusCode
  if (code === 'NoSuchBucket' || (status === 404 && !code)) {
    return new PreflightError(`${where}: bucket "${loc.bucket}" does not exist on ${endpoint}`, 'check the bucket name and the connection endpoint, or create the bucket', { cause: error })
  }
  if (isOfClass('network', code) || /ECONNREFUSED|ENOTFOUND|getaddrinfo|connect/.test(String((error as any)?.message))) {
    return new PreflightError(`${where}: endpoint ${endpoint} is unreachable (${code || 'network error'})`, 'check the endpoint URL and that the S3 server is running', { cause: error })
  }
  if (code === 'CredentialsProviderError') {
    const profile = loc.connection.profile ? `: profile "${loc.connection.profile}" gave none` : ''
    return new PreflightError(
      `${where}: no credentials found for connection "${loc.connectionName}"${profile}`,
      `set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give the connection a profile; for a public bucket, mark the connection anonymous (--source-anonymous)`,
      { cause: error },
    )
  }
  if (isAccessRefused(error)) {
    return new PreflightError(`${where}: access refused by ${endpoint} (${code || 'HTTP 403'})`, `check the credentials of connection "${loc.connectionName}" (env, profile or config) and the bucket policy`, { cause: error })
  }
  return new PreflightError(`${where}: ${describeS3Error(error)}`, undefined, { cause: error })
}

/**
 * A listing whose first page doubles as the preflight check: an error before the first
 * object (endpoint, bucket, credentials) becomes a PreflightError naming the side.
 */
export async function* preflighted<T>(listing: AsyncIterable<T>, loc: ResolvedLocation, role: 'source' | 'destination', signal: AbortSignal): AsyncGenerator<T> {
  const it = listing[Symbol.asyncIterator]()
  const first = await asPreflight(it.next(), loc, role, signal)
  if (first.done) return
  yield first.value
  for (let r = await it.next(); !r.done; r = await it.next()) yield r.value
}
