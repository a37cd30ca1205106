import type { ConnectionConfig, ResolvedJob } from '../api/config.ts'
import { canonicalEndpoint, envEndpoint, redactUserinfo } from './endpoint.ts'

/**
 * The S3 service a connection talks to. Endpoints of one service copy server-side between each
 * other whatever their regions (AWS's CopyObject reads a source bucket in any region of its
 * partition), so the direct/traditional decision compares services, not endpoint URLs.
 */
export interface S3Service {
  /** Equal for two connections of one service. */
  id: string
  /** For messages: `AWS`, `AWS China`, a connection's `service`, or the endpoint. */
  label: string
  /** AWS itself: buckets' regions can be discovered and requests go to regional endpoints. */
  aws: boolean
}

const PARTITIONS: Record<string, string> = { aws: 'AWS', 'aws-cn': 'AWS China', 'aws-us-gov': 'AWS GovCloud' }

/**
 * S3's own host names, by the forms AWS documents: s3.amazonaws.com, s3.REGION.amazonaws.com,
 * s3-REGION.amazonaws.com (legacy), s3-external-1, and the dual-stack and FIPS forms
 * (s3.dualstack.REGION…, s3-fips.REGION…, s3-fips.dualstack.REGION…), .amazonaws.com.cn in China.
 * A bucket may lead as a virtual host (bucket.s3.REGION.amazonaws.com).
 */
const AWS_S3_HOST = /(?:^|\.)s3(?:-fips)?(?:[.-](?:dualstack|external-1))?(?:[.-]([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d))?\.amazonaws\.com(\.cn)?$/

/** The AWS partition and region a host name of S3 names, or undefined if it is not one. */
export function awsS3Host(host: string): { partition: string; region?: string } | undefined {
  const m = AWS_S3_HOST.exec(host.toLowerCase())
  if (!m) return undefined
  const region = m[1]
  const partition = m[2] ? 'aws-cn' : region?.startsWith('us-gov-') ? 'aws-us-gov' : 'aws'
  return { partition, ...(region ? { region } : {}) }
}

/** The AWS partition a region belongs to. */
const partitionOf = (region: string | undefined) => (region?.startsWith('cn-') ? 'aws-cn' : region?.startsWith('us-gov-') ? 'aws-us-gov' : 'aws')

/** Which S3 service a connection talks to: its `service`, else AWS (no endpoint, or an AWS host), else its endpoint. */
export function serviceOf(conn: ConnectionConfig, env = process.env): S3Service {
  if (conn.service) return { id: `named:${conn.service}`, label: conn.service, aws: false }
  const endpoint = conn.endpoint ?? envEndpoint(env)?.url
  if (!endpoint) return awsService(partitionOf(conn.region))
  let host: string | undefined
  try {
    host = new URL(endpoint).hostname
  } catch {}
  const aws = host ? awsS3Host(host) : undefined
  if (aws) return awsService(aws.partition)
  return { id: canonicalEndpoint(endpoint), label: redactUserinfo(endpoint), aws: false }
}

const awsService = (partition: string): S3Service => ({ id: `aws:${partition}`, label: PARTITIONS[partition]!, aws: true })

/** One service: a server-side copy between the two is possible at all. */
export const sameService = (a: ConnectionConfig, b: ConnectionConfig, env = process.env) => serviceOf(a, env).id === serviceOf(b, env).id

/** Who signs a connection's requests: regions and endpoint spellings of one service do not change it. */
function principal(conn: ConnectionConfig, env: NodeJS.ProcessEnv): string {
  const who = conn.anonymous ? 'anonymous' : conn.credentials ? `key:${conn.credentials.accessKeyId}` : `profile:${conn.profile ?? ''}`
  return `${serviceOf(conn, env).id}|${who}`
}

/** One service and one principal: a server-side copy reads the source as the listing does. */
export const sameIdentity = (a: ConnectionConfig, b: ConnectionConfig, env = process.env) => principal(a, env) === principal(b, env)

/** `one S3 service (AWS, ap-northeast-1 -> us-east-1)`, or `two S3 services (AWS; http://127.0.0.1:7070)`, for decision lines. */
export function describeRoute(job: Pick<ResolvedJob, 'source' | 'destination'>, env = process.env): string {
  const from = job.source.connection
  const to = job.destination.connection
  const [a, b] = [serviceOf(from, env), serviceOf(to, env)]
  if (a.id !== b.id) return `two S3 services (${a.label}; ${b.label})`
  const regions = !from.region || !to.region ? '' : from.region === to.region ? `, ${from.region}` : `, ${from.region} -> ${to.region}`
  return `one S3 service (${a.label}${regions})`
}
