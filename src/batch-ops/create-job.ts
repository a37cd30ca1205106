import { randomUUID } from 'node:crypto'
import { S3ControlClient, type CreateJobCommandInput } from '@aws-sdk/client-s3-control'
import type { CopyNeeds, ResolvedJob } from '../api/config.ts'
import { ConfigError } from '../api/errors.ts'
import { credentialsOption } from '../storage/client.ts'
import { cutText } from '../util/printable.ts'

export interface HandOff {
  job: ResolvedJob
  /** What the plugins' checks need of each copy: `sha256` asks the service to compute it. */
  needs: CopyNeeds
  roleArn: string
  accountId: string
  manifest: { bucket: string; key: string; etag: string }
  report?: { bucket: string; prefix: string }
  priority: number
}

/** The account a role ARN belongs to: Batch Operations jobs run in the account of their role. */
export function accountOfRole(roleArn: string): string {
  const m = /^arn:aws[a-z-]*:iam::(\d{12}):role\/.+$/.exec(roleArn)
  if (!m) throw new ConfigError([`--role-arn: ${JSON.stringify(roleArn)} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)`])
  return m[1]!
}

/**
 * The CreateJob request for a job's direct copies: S3PutObjectCopy of every manifest line into
 * the destination bucket under its prefix (the service copies to TargetKeyPrefix + the source
 * key, so only jobs whose destination keys are exactly that can hand off), metadata copied, the
 * SHA-256 checksum when the job verifies checksums, a completion report of all tasks.
 */
export function createJobInput(h: HandOff): CreateJobCommandInput {
  const { job } = h
  checkHandOff(job)
  return {
    AccountId: h.accountId,
    ConfirmationRequired: false,
    ClientRequestToken: randomUUID(),
    Description: cutText(`lakesync ${job.name}: s3://${job.source.bucket}/${job.source.prefix} -> s3://${job.destination.bucket}/${job.destination.prefix}`, 256),
    Priority: h.priority,
    RoleArn: h.roleArn,
    Operation: {
      S3PutObjectCopy: {
        TargetResource: `arn:aws:s3:::${job.destination.bucket}`,
        ...(job.destination.prefix ? { TargetKeyPrefix: job.destination.prefix } : {}),
        MetadataDirective: 'COPY',
        ...(h.needs.sha256 ? { ChecksumAlgorithm: 'SHA256' as const } : {}),
      },
    },
    Manifest: {
      Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key'] },
      Location: { ObjectArn: `arn:aws:s3:::${h.manifest.bucket}/${h.manifest.key}`, ETag: h.manifest.etag },
    },
    Report: h.report
      ? { Enabled: true, Bucket: `arn:aws:s3:::${h.report.bucket}`, Prefix: h.report.prefix.replace(/\/$/, ''), Format: 'Report_CSV_20180820', ReportScope: 'AllTasks' }
      : { Enabled: false },
  }
}

/** The service copies to a target prefix + the whole source key: a job whose destination keys differ cannot hand off. */
export function checkHandOff(job: Pick<ResolvedJob, 'name' | 'keyMap' | 'stripPrefix'>): void {
  if (!job.keyMap && job.stripPrefix === '') return
  throw new ConfigError(
    [`job ${job.name}: S3 Batch Operations copies to a target prefix + the whole source key, but this job's destination keys ${job.keyMap ? 'come from its keyMap' : `drop the source prefix ${JSON.stringify(job.stripPrefix)}`}`],
    'hand off a job whose destination keeps whole source keys (a Binance selection without keyMap), or copy this one with lakesync sync (--shard spreads it over hosts)',
  )
}

/**
 * The S3 Control client for the destination's account and region. `endpoint` (tests, private
 * links) is used as given, without the account-id host prefix the public endpoint takes.
 */
export function controlClient(job: Pick<ResolvedJob, 'destination'>, endpoint?: string): S3ControlClient {
  const conn = job.destination.connection
  return new S3ControlClient({
    region: conn.region ?? 'us-east-1',
    ...credentialsOption(conn),
    // The service's endpoint rules put the account id in front of any host; a private endpoint is used as given.
    ...(endpoint ? { endpointProvider: () => ({ url: new URL(endpoint) }) } : {}),
  })
}
