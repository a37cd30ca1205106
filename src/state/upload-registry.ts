import type { S3Client } from '@aws-sdk/client-s3'
import type { S3Transport } from '../api/transport.ts'
import { appendFileSync } from 'node:fs'
import { appendFile, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describeS3Error, errorCode } from '../storage/errors.ts'
import { makeDir } from '../util/make-dir.ts'
import { jobStateName } from './job-lock.ts'
import { stateDir } from './journal.ts'
import { processState, thisProcess, type ProcessIdentity } from './process-identity.ts'

/**
 * The multipart uploads lakesync itself opened for a job (one shard of it), one JSON line as
 * each opens and as it completes or aborts: `$LAKESYNC_STATE_DIR/uploads/<job id>[.shard-K-of-N].jsonl`,
 * named as the job's lock is and written only by the run that holds that lock. A run killed
 * outright (SIGKILL, a crash) cannot abort its uploads; the next run of the job aborts those it
 * finds open here, and only those: an upload someone else started is never touched.
 * Lines are few (one pair per object above the multipart threshold).
 */
export class UploadRegistry {
  private chain: Promise<void> = Promise.resolve()
  private readonly me = thisProcess()

  private constructor(readonly file: string | undefined) {}

  /** The job's registry, or one that records nothing when the state dir cannot be written. */
  static async open(job: Parameters<typeof jobStateName>[0], dir = stateDir()): Promise<UploadRegistry> {
    const folder = path.join(dir, 'uploads')
    const ok = await makeDir(folder).then(() => true, () => false)
    return new UploadRegistry(ok ? path.join(folder, `${jobStateName(job)}.jsonl`) : undefined)
  }

  /**
   * Aborts the uploads an earlier run left open. This run holds the job's lock, so their runs
   * ended (or lost the lock by its lease, as on another host); only a run seen alive on this host
   * (a run without a lock, as when the locks folder is read-only) keeps its uploads, and so do
   * those the server would not abort now: they stay listed for the next run.
   */
  async abortLeftovers(transport: S3Transport, bucket: string, signal: AbortSignal): Promise<{ aborted: number; kept: number; error?: string }> {
    if (!this.file) return { aborted: 0, kept: 0 }
    const open = new Map<string, { key: string; line: string; live: boolean }>()
    for (const line of (await readFile(this.file, 'utf8').catch(() => '')).split('\n')) {
      const r = parseLine(line)
      if (r?.op === 'open' && typeof r.key === 'string' && typeof r.uploadId === 'string') open.set(r.uploadId, { key: r.key, line, live: isAlive(r) })
      else if (r?.op === 'done') open.delete(r.uploadId)
    }
    let aborted = 0
    let error: string | undefined
    const kept: string[] = []
    for (const [UploadId, { key, line, live }] of open) {
      if (live) {
        kept.push(line)
        continue
      }
      try {
        await transport.abortMultipart(bucket, key, UploadId, signal)
        aborted++
      } catch (e) {
        if (signal.aborted) throw e
        if (errorCode(e) === 'NoSuchUpload') continue
        error ??= describeS3Error(e)
        kept.push(line)
      }
    }
    await writeFile(this.file, kept.map((l) => l + '\n').join('')).catch(() => {})
    return { aborted, kept: kept.length, ...(error ? { error } : {}) }
  }

  /** Records, on this SDK client, every multipart upload it opens and closes: lakesync's own and the SDK's Upload's alike. */
  watch(client: S3Client) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args)
        const input = args.input as { Key?: string; UploadId?: string }
        // Written before the first part is sent: a kill from then on leaves it on disk.
        if (context.commandName === 'CreateMultipartUploadCommand') this.appendNow({ op: 'open', key: input.Key, uploadId: (result.output as { UploadId?: string }).UploadId, ...this.me })
        else if (context.commandName === 'CompleteMultipartUploadCommand' || context.commandName === 'AbortMultipartUploadCommand') this.append({ op: 'done', uploadId: input.UploadId })
        return result
      },
      { step: 'initialize', name: 'lakesyncUploadRegistry' },
    )
  }

  /** Waits for the lines written so far. */
  flush(): Promise<void> {
    return this.chain
  }

  private appendNow(record: object) {
    if (!this.file) return
    try {
      appendFileSync(this.file, JSON.stringify(record) + '\n')
    } catch {
      // an unwritable state dir costs this clean-up, not the copy
    }
  }

  private append(record: object) {
    const file = this.file
    if (!file) return
    this.chain = this.chain.then(() => appendFile(file, JSON.stringify(record) + '\n')).catch(() => {})
  }
}

function isAlive(r: Partial<ProcessIdentity>): boolean {
  return r.pid !== process.pid && processState(r) === 'alive'
}

function parseLine(line: string): any {
  try {
    return line ? JSON.parse(line) : undefined
  } catch {
    return undefined // a line cut short by a kill
  }
}
