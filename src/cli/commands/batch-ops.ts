import { mkdtemp, rm, stat } from 'node:fs/promises'
import { createReadStream } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CreateJobCommand, DescribeJobCommand } from '@aws-sdk/client-s3-control'
import type { ResolvedJob } from '../../api/config.ts'
import type { PluginContainer } from '../../plugins/container.ts'
import { ConfigError, ExitCode, PreflightError } from '../../api/errors.ts'
import type { ItemResult, JobSummary } from '../../api/events.ts'
import { accountOfRole, checkHandOff, controlClient, createJobInput } from '../../batch-ops/create-job.ts'
import { writeManifest } from '../../batch-ops/manifest.ts'
import { reportRows, type ReportRow } from '../../batch-ops/report.ts'
import { parseS3Url } from '../../config/location.ts'
import { planJob } from '../../plan/plan-job.ts'
import { Journal } from '../../state/journal.ts'
import { transportsFor } from '../../storage/job-transports.ts'
import { SdkTransport } from '../../storage/sdk-transport.ts'
import { placeBuckets } from '../../route/bucket-regions.ts'
import { bytes, int } from '../../report/format.ts'
import { out } from '../../util/redact.ts'
import { printableKey } from '../../util/printable.ts'
import { describeS3Error } from '../../storage/errors.ts'
import { selectJobs, type SelectionOptions } from '../select-jobs.ts'

export interface HandOffOptions extends SelectionOptions {
  manifest: string
  roleArn: string
  report?: string
  submit?: boolean
  accountId?: string
  priority?: number
  /** S3 Control endpoint (private links; the tests' capture server). */
  controlEndpoint?: string
  signal: AbortSignal
}

/** A manifest above this size is uploaded in parts of it (S3 allows 10,000: 160 GB, about 2·10^9 rows). */
const MANIFEST_PART_SIZE = 16 * 1024 ** 2

/**
 * `lakesync batch-ops JOB --manifest s3://… --role-arn ARN [--report s3://…] [--submit]`: the
 * job's planned direct copies as an S3 Batch Operations CSV manifest, uploaded to --manifest;
 * with --submit, the CreateJob that copies them. Objects over 5 GiB stay with `lakesync sync`.
 */
export async function handOff(o: HandOffOptions): Promise<number> {
  const { job: named, plugins } = await oneJob(o)
  const job = (await placeBuckets(named, o.signal)).job
  const accountId = o.accountId ?? accountOfRole(o.roleArn)
  const manifestAt = s3Prefix(o.manifest, '--manifest')
  const reportAt = o.report ? s3Prefix(o.report, '--report') : undefined
  // Before any listing: a job the service cannot copy fails at once.
  checkHandOff(job)
  const work = await mkdtemp(path.join(tmpdir(), 'lakesync-batch-ops-'))
  const transports = transportsFor(job.source.connection, job.destination.connection)
  try {
    const file = path.join(work, 'manifest.csv')
    const tally = await writeManifest(planJob(job, transports, { signal: o.signal }).items, job.source.bucket, file)
    out.line(`${job.name}: manifest of ${int(tally.objects)} objects (${bytes(tally.bytes)}); ${int(tally.skipped)} already at the destination`)
    for (const big of tally.oversizedExamples) out.line(`${job.name}: over 5 GiB, left to lakesync sync (multipart copy): ${JSON.stringify(big.key)} (${bytes(big.size)})`)
    if (tally.oversized > tally.oversizedExamples.length) out.line(`${job.name}: … ${int(tally.oversized - tally.oversizedExamples.length)} more over 5 GiB`)
    if (!tally.objects) {
      out.line(`${job.name}: nothing for S3 Batch Operations to copy`)
      return ExitCode.ok
    }
    const key = `${manifestAt.prefix}${job.name}-${new Date().toISOString().replace(/[:.]/g, '-')}.csv`
    const { size } = await stat(file)
    const written = await transports.dest.putObject(manifestAt.bucket, key, createReadStream(file), { size, partSize: MANIFEST_PART_SIZE, meta: { ContentType: 'text/csv' }, signal: o.signal })
    const etag = written.etag!.replace(/"/g, '')
    out.line(`${job.name}: manifest written to s3://${manifestAt.bucket}/${key} (${bytes(size)}, ETag ${etag})`)
    const input = createJobInput({ job, needs: plugins.copyNeeds(job), roleArn: o.roleArn, accountId, manifest: { bucket: manifestAt.bucket, key, etag }, ...(reportAt ? { report: { bucket: reportAt.bucket, prefix: reportAt.prefix } } : {}), priority: o.priority ?? 10 })
    if (!o.submit) {
      out.line(`${job.name}: not submitted (add --submit); the CreateJob request would be:`)
      out.line(JSON.stringify(input, null, 2))
      return ExitCode.ok
    }
    const control = controlClient(job, o.controlEndpoint)
    try {
      const created = await control.send(new CreateJobCommand(input), { abortSignal: o.signal }).catch((error) => {
        if (o.signal.aborted) throw error
        throw new PreflightError(`S3 Batch Operations refused CreateJob: ${describeS3Error(error)}`, `the identity that submits needs s3:CreateJob and iam:PassRole on ${o.roleArn}; that role needs to read the manifest and the source and to write the destination (and the report)`)
      })
      out.line(`${job.name}: S3 Batch Operations job ${created.JobId} created in account ${accountId}; follow it with: lakesync batch-ops status ${created.JobId} ${job.name}`)
    } finally {
      control.destroy()
    }
    return ExitCode.ok
  } finally {
    transports.destroy()
    await rm(work, { recursive: true, force: true })
  }
}

/** `lakesync batch-ops status JOBID [JOB]`: the service's state of a job and its progress. */
export async function status(o: SelectionOptions & { jobId: string; accountId?: string; roleArn?: string; controlEndpoint?: string; json?: boolean; signal: AbortSignal }): Promise<number> {
  const job = (await placeBuckets((await oneJob(o)).job, o.signal)).job
  const accountId = o.accountId ?? (o.roleArn ? accountOfRole(o.roleArn) : undefined)
  if (!accountId) throw new ConfigError(['batch-ops status: the account is unknown'], 'pass --account-id ID (or the job\'s --role-arn)')
  const control = controlClient(job, o.controlEndpoint)
  try {
    const { Job: j } = await control.send(new DescribeJobCommand({ AccountId: accountId, JobId: o.jobId }), { abortSignal: o.signal })
    const p = j?.ProgressSummary
    if (o.json) out.line(JSON.stringify({ jobId: o.jobId, status: j?.Status, total: p?.TotalNumberOfTasks, succeeded: p?.NumberOfTasksSucceeded, failed: p?.NumberOfTasksFailed, report: j?.Report }))
    else {
      out.line(`${o.jobId}: ${j?.Status ?? 'unknown'}; ${int(p?.NumberOfTasksSucceeded ?? 0)} of ${int(p?.TotalNumberOfTasks ?? 0)} tasks succeeded, ${int(p?.NumberOfTasksFailed ?? 0)} failed`)
      if (j?.Report?.Enabled) out.line(`completion report under ${j.Report.Bucket}/${j.Report.Prefix ?? ''}job-${o.jobId}/results/: import it with lakesync batch-ops import s3://…/results/FILE.csv ${job.name}`)
      for (const f of j?.FailureReasons ?? []) out.line(`failure: ${f.FailureCode}: ${f.FailureReason}`)
    }
    return j?.Status === 'Failed' ? ExitCode.itemsFailed : ExitCode.ok
  } finally {
    control.destroy()
  }
}

/**
 * `lakesync batch-ops import REPORT [JOB]`: a completion report (a local file or s3://…) into a
 * run journal, so `runs` lists what the service copied and `verify` and the next `sync` build
 * on it (the next sync skips what the service copied, as it finds it at the destination, and
 * copies the failed ones).
 */
export async function importReport(o: SelectionOptions & { report: string; signal: AbortSignal }): Promise<number> {
  const { job } = await oneJob(o)
  // The rows are recorded under the job's destination as the hand-off maps keys: a job it refuses has no such mapping.
  checkHandOff(job)
  const journal = await Journal.open(`lakesync batch-ops import ${o.report}`, [job])
  if (!(journal instanceof Journal)) throw new ConfigError([`no run journal: ${journal.unavailable}`], 'set LAKESYNC_STATE_DIR to a writable folder')
  const summary: JobSummary = {
    job: job.name, mode: 'direct', engine: 'batch-ops', copied: 0, skipped: 0, failed: 0, planned: 0, bytesCopied: 0, bytesThroughHost: 0,
    requests: {}, engines: {}, peakDiskBytes: 0, peakRssBytes: 0, deleted: 0, mismatches: 0, seconds: 0, dryRun: false, reasons: {},
  }
  try {
    for await (const r of reportRows(reportText(o.report, job, o.signal))) {
      if (r.bucket !== job.source.bucket) throw new ConfigError([`${o.report}: row ${r.line} copies from bucket ${printableKey(r.bucket)}, not from job ${job.name}'s source ${printableKey(job.source.bucket)}`], 'name the job the report belongs to')
      const item = reportItem(job, r)
      summary.planned++
      summary[item.action === 'copied' ? 'copied' : 'failed']++
      journal.record({ type: 'item', ...item })
    }
  } catch (error) {
    await journal.close(ExitCode.usage)
    throw error instanceof ConfigError ? error : new ConfigError([`${o.report}: ${(error as Error).message}`], 'import the CSV files under the report\'s results/ folder')
  }
  summary.engines['batch-ops'] = summary.copied
  journal.record({ type: 'job-end', ...summary })
  const code = summary.failed ? ExitCode.itemsFailed : ExitCode.ok
  await journal.close(code)
  out.line(`${job.name}: imported ${int(summary.copied)} copied and ${int(summary.failed)} failed task(s) into ${journal.file}${summary.failed ? '; the next lakesync sync copies the failed ones' : ''}`)
  return code
}

/** A report row as the journal records a copy: the service's copies and failures, under the job's destination. */
function reportItem(job: ResolvedJob, r: ReportRow): ItemResult {
  const base = { job: job.name, key: r.key, destKey: job.destination.prefix + r.key, size: 0, engine: 'batch-ops' }
  return r.status === 'succeeded'
    ? { ...base, action: 'copied', reason: 'copied by S3 Batch Operations' }
    : { ...base, action: 'failed', reason: 'S3 Batch Operations task failed', error: [r.errorCode, r.httpStatus, r.message].filter(Boolean).join(' ') }
}

function s3Prefix(url: string, flag: string) {
  const parsed = parseS3Url(url)
  if (typeof parsed === 'string') throw new ConfigError([`${flag}: ${parsed}`])
  return parsed
}

async function oneJob(o: SelectionOptions): Promise<{ job: ResolvedJob; plugins: PluginContainer }> {
  const { config, plugins } = await selectJobs(o)
  if (config.jobs.length !== 1) throw new ConfigError([`batch-ops works on one job; name it (jobs: ${config.jobs.map((j) => j.name).join(', ')})`])
  return { job: config.jobs[0]!, plugins }
}

/** The report's text a chunk at a time: a local file, or an object (s3://bucket/key) read through the destination's connection. */
async function* reportText(location: string, job: ResolvedJob, signal: AbortSignal): AsyncGenerator<string> {
  if (!location.startsWith('s3://')) {
    yield* createReadStream(location, { encoding: 'utf8' })
    return
  }
  const slash = location.indexOf('/', 5)
  const [bucket, key] = [location.slice(5, slash), location.slice(slash + 1)]
  if (slash < 0 || !key) throw new ConfigError([`REPORT: expected a file or s3://bucket/key, got ${JSON.stringify(location)}`])
  const transport = SdkTransport.open(job.destination.connection)
  try {
    const { body } = await transport.getObject(bucket, key, signal)
    yield* body.setEncoding('utf8')
  } finally {
    transport.destroy()
  }
}
