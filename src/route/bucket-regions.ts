import type { ConnectionConfig, ResolvedJob, ResolvedLocation } from '../api/config.ts'
import { awsS3Host, serviceOf } from '../config/service.ts'
import type { RequestCounter } from '../storage/meters.ts'
import { SdkTransport } from '../storage/sdk-transport.ts'

/** Where one bucket of a job lives, and how that was learned. */
export interface BucketPlace {
  bucket: string
  region: string
  /** `connection`: as configured and confirmed; `discovered`: the connection named none; `followed`: S3 said another region than the connection. */
  how: 'connection' | 'discovered' | 'followed'
  /** `followed`: the region the connection named, and what S3 answered there (e.g. `301 PermanentRedirect`). */
  configured?: string
  answer?: string
}

/**
 * Puts each AWS bucket of a job in its region: one HeadBucket per bucket, with that side's
 * identity, read for `x-amz-bucket-region`, which S3 sends on 200 and on its wrong-region (301,
 * 400) and refusal (403) answers alike. A wrong-region answer is followed once, here, for the
 * whole run: every client, the lean path and s5cmd's flags are then built for the right region,
 * so no copy meets one. Other services keep their connection's region: they have one endpoint.
 */
export async function placeBuckets(job: ResolvedJob, signal: AbortSignal, counter?: RequestCounter): Promise<{ job: ResolvedJob; places: BucketPlace[] }> {
  const places: BucketPlace[] = []
  const place = async (side: ResolvedLocation): Promise<ResolvedLocation> => {
    if (!serviceOf(side.connection).aws) return side
    const found = await askRegion(side.connection, side.bucket, signal, counter)
    const configured = side.connection.region
    if (!found.region) return side
    const how = !configured ? 'discovered' : found.region === configured ? 'connection' : 'followed'
    places.push({ bucket: side.bucket, region: found.region, how, ...(how === 'followed' ? { configured, answer: found.answer } : {}) })
    return how === 'connection' ? side : { ...side, connection: inRegion(side.connection, found.region) }
  }
  const [source, destination] = await Promise.all([place(job.source), place(job.destination)])
  return { job: { ...job, source: { ...job.source, ...source }, destination }, places }
}

/** The connection sending to `region`: its region set and an AWS endpoint it names moved there. */
export function inRegion(conn: ConnectionConfig, region: string): ConnectionConfig {
  if (!conn.endpoint) return { ...conn, region }
  const url = new URL(conn.endpoint)
  const named = awsS3Host(url.hostname)
  if (!named) return { ...conn, region }
  url.hostname = named.region ? url.hostname.replace(named.region, region) : url.hostname.replace(/^s3(-external-1)?\./, `s3.${region}.`)
  return { ...conn, region, endpoint: url.href.replace(/\/$/, '') }
}

/** HeadBucket's x-amz-bucket-region, whatever the status; `answer` names a status other than 200. */
async function askRegion(conn: ConnectionConfig, bucket: string, signal: AbortSignal, counter?: RequestCounter): Promise<{ region?: string; answer?: string }> {
  const transport = SdkTransport.open(conn, { maxAttempts: 2, ...(counter ? { counter } : {}) })
  try {
    const { region, status, answer } = await transport.headBucket(bucket, signal)
    // No region in the answer (unreachable, a missing bucket): the preflight says what is wrong.
    return region ? { region, ...(status !== 200 && answer ? { answer } : {}) } : {}
  } finally {
    transport.destroy()
  }
}

/** `bucket region (how)`, for the decision line. */
export function describePlaces(places: BucketPlace[]): string {
  return places.map((p) => `${p.bucket} ${p.region}${p.how === 'followed' ? ` (S3 answered ${p.answer}: followed)` : p.how === 'discovered' ? ' (discovered)' : ''}`).join(', ')
}
