import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { ResolvedJob } from '../api/config.ts'
import type { PluginContainer } from '../plugins/container.ts'
import type { S5cmdLocation } from '../engines/find-s5cmd.ts'
import { batchLine, s3Url } from '../engines/s5cmd-batch.ts'
import { s5cmdConnection } from '../engines/s5cmd.ts'
import { runJob } from '../run/job-runner.ts'
import type { ListedObject } from '../list/list.ts'
import { findTool } from '../util/find-tool.ts'
import { exec } from '../util/exec.ts'

/** What one run of one mode measured itself. */
export interface RunFigures {
  requests: Record<string, number>
  bytesThroughHost?: number
  peakDiskBytes: number
  failures: number
}

export interface BenchMode {
  name: string
  run(destPrefix: string): Promise<RunFigures>
}

export interface ModeContext {
  job: ResolvedJob
  sample: ListedObject[]
  /** The sample is the whole source prefix, so prefix-syncing peers copy the same objects. */
  wholePrefix: boolean
  plugins: PluginContainer
  s5cmd?: S5cmdLocation
  signal: AbortSignal
}

/** lakesync's own modes, run in this process on the sample, each into its own prefix. */
export function lakesyncModes(ctx: ModeContext): BenchMode[] {
  const keys = new Set(ctx.sample.map((o) => o.key))
  const variant = (name: string, o: Partial<ResolvedJob>): BenchMode => ({
    name,
    async run(destPrefix) {
      const job: ResolvedJob = { ...ctx.job, ...o, verify: 'size', destination: { ...ctx.job.destination, prefix: destPrefix }, sourceFilter: (k: string) => keys.has(k) }
      const s = await runJob(job, { dryRun: false, signal: ctx.signal, plugins: ctx.plugins, s5cmd: ctx.s5cmd, emit: async () => {} })
      return { requests: { ...s.requests }, bytesThroughHost: s.bytesThroughHost, peakDiskBytes: s.peakDiskBytes, failures: s.failed + (ctx.sample.length - s.copied - s.failed) }
    },
  })
  const shared = ctx.job.sameIdentity
  return [
    variant('direct (lean)', { mode: 'direct', engine: 'lean' }),
    ...(ctx.s5cmd && shared ? [variant('direct (s5cmd)', { mode: 'direct', engine: 's5cmd' })] : []),
    variant('direct (sdk)', { mode: 'direct', engine: 'sdk' }),
    variant('traditional stream', { mode: 'traditional', traditional: 'stream' }),
    variant('traditional staged', { mode: 'traditional', traditional: 'staged' }),
  ]
}

/** rclone's settings for an S3 endpoint, from the environment alone (no rclone.conf). */
export function rcloneS3Env(endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }): NodeJS.ProcessEnv {
  return {
    RCLONE_S3_PROVIDER: 'Other', RCLONE_S3_ENDPOINT: endpoint, RCLONE_S3_ACCESS_KEY_ID: credentials.accessKeyId, RCLONE_S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    RCLONE_S3_FORCE_PATH_STYLE: 'true', RCLONE_CONFIG: '/dev/null',
  }
}

/** Other tools on the same objects, where installed and able to (one endpoint and identity). */
export async function peerModes(ctx: ModeContext): Promise<BenchMode[]> {
  const { job } = ctx
  if (!job.sameIdentity) return []
  const conn = job.destination.connection
  const { env, flags } = s5cmdConnection(conn)
  const relative = (k: string) => k.slice(job.stripPrefix.length)
  const modes: BenchMode[] = []
  if (ctx.s5cmd) {
    modes.push({
      name: 'raw s5cmd run',
      async run(destPrefix) {
        const dir = await mkdtemp(path.join(tmpdir(), 'lakesync-bench-'))
        const file = path.join(dir, 'cp.txt')
        await writeFile(file, ctx.sample.map((o) => batchLine({ key: o.key, destKey: destPrefix + relative(o.key) }, job.source.bucket, job.destination.bucket)).join('\n') + '\n')
        const r = await exec(ctx.s5cmd!.path, ['--json', '--numworkers', String(job.concurrency), ...flags, 'run', file], env)
        await rm(dir, { recursive: true, force: true })
        // s5cmd's own results: one per cp line it ran (successes on stdout, errors on stderr).
        const results = (r.stdout + r.stderr).split('\n').filter((l) => l.startsWith('{') && /"operation":"cp"|"error"/.test(l))
        const ok = results.filter((l) => l.includes('"success":true')).length
        return { requests: { CopyObject: results.length }, bytesThroughHost: 0, peakDiskBytes: 0, failures: ctx.sample.length - ok }
      },
    })
  }
  if (!ctx.wholePrefix || !conn.endpoint) return modes
  const src = s3Url(job.source.bucket, job.source.prefix)
  const aws = await findTool('aws')
  if (aws && !conn.anonymous) {
    modes.push({
      name: 'aws s3 sync',
      async run(destPrefix) {
        const r = await exec(aws, ['--endpoint-url', conn.endpoint!, 's3', 'sync', src, s3Url(job.destination.bucket, destPrefix), '--only-show-errors'], { ...env, AWS_DEFAULT_REGION: env.AWS_REGION })
        return { requests: {}, peakDiskBytes: 0, failures: r.code === 0 ? 0 : ctx.sample.length }
      },
    })
  }
  const rclone = await findTool('rclone')
  if (rclone && !conn.anonymous && conn.credentials) {
    // rclone 1.60 fails on a CA bundle meant for TLS against plain-HTTP loopback: env has none.
    const rcloneEnv: NodeJS.ProcessEnv = { ...env, ...rcloneS3Env(conn.endpoint!, conn.credentials) }
    delete rcloneEnv.AWS_CA_BUNDLE
    modes.push({
      name: 'rclone sync',
      async run(destPrefix) {
        const r = await exec(rclone, ['sync', `:s3:${job.source.bucket}/${job.source.prefix}`, `:s3:${job.destination.bucket}/${destPrefix}`, '--transfers', String(Math.min(64, job.concurrency)), '--checkers', '16'], rcloneEnv)
        return { requests: {}, peakDiskBytes: 0, failures: r.code === 0 ? 0 : ctx.sample.length }
      },
    })
  }
  return modes
}
