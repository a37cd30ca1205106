import { $ } from 'zx'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { ConnectionConfig } from '../config/types.ts'
import { isBatchSafeKey } from '../storage/keys.ts'
import { batchLine, parseS5cmdJson, s3Url } from './s5cmd-batch.ts'
import type { CopyItem, CopyOutcome, Engine, EngineContext } from './types.ts'
import { COPY_OBJECT_LIMIT } from './sdk-copy.ts'

/** Environment and global flags that give s5cmd the connection's endpoint and identity. */
export function s5cmdConnection(conn: ConnectionConfig, env = process.env): { env: NodeJS.ProcessEnv; flags: string[] } {
  const childEnv: NodeJS.ProcessEnv = { ...env, AWS_REGION: conn.region ?? env.AWS_REGION ?? 'us-east-1' }
  const flags: string[] = []
  if (conn.endpoint) {
    flags.push('--endpoint-url', conn.endpoint)
    // A CA bundle meant for TLS breaks s5cmd's plain-HTTP loopback endpoints.
    if (conn.endpoint.startsWith('http://')) delete childEnv.AWS_CA_BUNDLE
  }
  if (conn.anonymous) flags.push('--no-sign-request')
  if (conn.credentials) {
    childEnv.AWS_ACCESS_KEY_ID = conn.credentials.accessKeyId
    childEnv.AWS_SECRET_ACCESS_KEY = conn.credentials.secretAccessKey
    if (conn.credentials.sessionToken) childEnv.AWS_SESSION_TOKEN = conn.credentials.sessionToken
    else delete childEnv.AWS_SESSION_TOKEN
    delete childEnv.AWS_PROFILE
  } else if (conn.profile) {
    flags.push('--profile', conn.profile)
  }
  return { env: childEnv, flags }
}

export function createS5cmdEngine(binary: string): Engine {
  return {
    name: 's5cmd',
    accepts: (item) => isBatchSafeKey(item.key) && isBatchSafeKey(item.destKey) && item.size <= COPY_OBJECT_LIMIT,
    async copy(items: CopyItem[], ctx: EngineContext): Promise<CopyOutcome[]> {
      const { job, signal } = ctx
      const dir = await mkdtemp(path.join(tmpdir(), 'lakesync-batch-'))
      const file = path.join(dir, 'batch.txt')
      try {
        const lines = items.map((i) => batchLine(i, job.source.bucket, job.destination.bucket))
        await writeFile(file, lines.join('\n') + '\n')
        const { env, flags } = s5cmdConnection(job.destination.connection)
        const workers = Math.min(job.concurrency, items.length)
        const out = await $({ env, signal, nothrow: true, quiet: true })`${binary} --json --numworkers ${workers} ${flags} run ${file}`
        const results = parseS5cmdJson(out.stdout + '\n' + out.stderr)
        ctx.counter.add('CopyObject', results.length)
        return joinResults(items, results, job.source.bucket, job.destination.bucket, out.exitCode, out.stderr)
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    },
  }
}

/** s5cmd's S3→S3 results carry URLs only: join them back to the plan items they came from. */
function joinResults(
  items: CopyItem[],
  results: ReturnType<typeof parseS5cmdJson>,
  sourceBucket: string,
  destBucket: string,
  exitCode: number | null,
  stderr: string,
): CopyOutcome[] {
  const bySource = new Map(items.map((i) => [s3Url(sourceBucket, i.key), i]))
  const byCommand = new Map(items.map((i) => [`cp ${s3Url(sourceBucket, i.key)} ${s3Url(destBucket, i.destKey)}`, i]))
  const outcomes = new Map<CopyItem, CopyOutcome>()
  for (const r of results) {
    const item = r.ok ? bySource.get(r.source!) : byCommand.get(r.command ?? '')
    if (item) outcomes.set(item, { item, ok: r.ok, engine: 's5cmd', ...(r.error ? { error: r.error } : {}) })
  }
  const general = results.find((r) => !r.ok && !byCommand.has(r.command ?? ''))?.error
  const missing = general ?? (stderr.trim().split('\n')[0] || `s5cmd exited with code ${exitCode} without a result for this item`)
  return items.map((item) => outcomes.get(item) ?? { item, ok: false, engine: 's5cmd', error: missing })
}
