import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import type { ResolvedJob } from '../api/config.ts'
import { PreflightError } from '../api/errors.ts'
import { describeEndpoint } from '../config/endpoint.ts'
import { isAccessRefused, preflightError } from '../storage/preflight.ts'
import type { ModeDecision } from '../api/config.ts'
import type { PluginContainer } from '../plugins/container.ts'
import { describeS5cmd, type S5cmdLocation } from '../engines/find-s5cmd.ts'
import { createS5cmdEngine } from '../engines/s5cmd.ts'
import { sdkEngine } from '../engines/sdk-copy.ts'
import { leanEngine } from '../engines/lean-copy.ts'
import { streamEngine } from '../engines/traditional-stream.ts'
import { stagedEngine } from '../engines/traditional-staged.ts'
import type { Engine } from '../engines/types.ts'

/** The engines a job's items may take. */
export interface Routes {
  /** The job's engine; it works in batches of `batchSize` items. */
  primary: Engine
  /** Direct copies the primary cannot carry, rescues and retries of direct copies (sdk). */
  direct?: Engine
  /** Where items go that cannot be copied server-side, when the job allows it. */
  traditional?: Engine
}


/** Lists one source key and HEADs it with the destination's identity: can it copy server-side? */
export async function destinationCanReadSource(destClient: S3Client, job: ResolvedJob, signal: AbortSignal): Promise<boolean> {
  const refused = (error: unknown) => {
    if (signal.aborted) throw error
    return isAccessRefused(error)
  }
  let key: string | undefined
  try {
    const page = await destClient.send(new ListObjectsV2Command({ Bucket: job.source.bucket, Prefix: job.source.prefix || undefined, MaxKeys: 1 }), { abortSignal: signal })
    key = page.Contents?.[0]?.Key
  } catch (error) {
    // Only a refusal answers the question; an unreachable endpoint or a missing bucket is a preflight failure.
    if (refused(error)) return false
    throw preflightError(error, `source s3://${job.source.bucket}/${job.source.prefix}`, job.source)
  }
  if (!key) return true
  // A key deleted since it was listed says nothing either way; the copies will tell.
  return destClient.send(new HeadObjectCommand({ Bucket: job.source.bucket, Key: key }), { abortSignal: signal }).then(() => true, (error) => !refused(error))
}

/** The job's mode: as requested, or for `auto` what the plugins decide from the probe. */
export async function decideMode(job: ResolvedJob, plugins: PluginContainer, s5cmd: S5cmdLocation | undefined, destClient: S3Client, signal: AbortSignal): Promise<ModeDecision & { by?: string }> {
  const same = job.sameEndpoint
  let decision: ModeDecision & { by?: string }
  if (job.mode !== 'auto') decision = { mode: job.mode, reason: `--mode ${job.mode} requested` }
  else {
    let probed: Promise<boolean> | undefined
    const probe = { destinationCanReadSource: () => (probed ??= destinationCanReadSource(destClient, job, signal)) }
    const chosen = await plugins.first('selectMode', { job, sameEndpoint: same, sameIdentity: job.sameIdentity, s5cmdAvailable: Boolean(s5cmd && !s5cmd.unusable), probe })
    // The rule itself lives in autoMode(), present unless a config brings its own.
    if (!chosen) throw new PreflightError(`job ${job.name}: no plugin chose a mode for --mode auto`, 'keep autoMode() in the config\'s plugins (it is added unless the config brings its own), or set mode: direct or traditional')
    decision = { ...chosen.value, by: chosen.plugin }
  }
  if (decision.mode === 'direct' && !same) {
    throw new PreflightError(
      `job ${job.name}: --mode direct needs source and destination on one endpoint (source ${describeEndpoint(job.source.connection.endpoint)}, destination ${describeEndpoint(job.destination.connection.endpoint)})`,
      'use --mode auto or --mode traditional to copy through this host',
    )
  }
  return decision
}

/**
 * --engine auto takes the lean engine: measured side by side (docs/BENCHMARKS.md §8) it copies
 * small objects faster than the s5cmd engine at half its CPU per object, and it learns each
 * copy's SHA-256 for checksum jobs. s5cmd stays one flag away.
 */
export function chooseEngine(job: ResolvedJob, s5cmd: S5cmdLocation | undefined): { primary: Engine; reason: string } {
  if (job.engine === 's5cmd') {
    const blocker = !s5cmd ? 's5cmd not found (PATH, LAKESYNC_S5CMD, config s5cmd)' : !job.sameIdentity ? 'source and destination use different connections, s5cmd copies with one' : undefined
    if (blocker) throw new PreflightError(`job ${job.name}: --engine s5cmd is not usable: ${blocker}`, 'install s5cmd (npm run setup) or use --engine lean')
    // A bastion's read-only or full home must not stop the copy: the lean engine needs no file.
    if (s5cmd!.unusable) return { primary: leanEngine, reason: `lean, since the binary's own s5cmd is unusable: ${s5cmd!.unusable}` }
    return { primary: createS5cmdEngine(s5cmd!.path), reason: `${describeS5cmd(s5cmd!)} requested` }
  }
  if (job.engine === 'sdk') return { primary: sdkEngine, reason: 'sdk requested' }
  if (job.engine === 'lean') return { primary: leanEngine, reason: 'lean requested' }
  if (job.verify === 'checksum') return { primary: leanEngine, reason: "lean, since checksum verification needs CopyObject's SHA-256" }
  return { primary: leanEngine, reason: 'lean, fastest per copied object (s5cmd: --engine s5cmd)' }
}

/** The engines a job's items may take, given its mode. */
export function routesFor(job: ResolvedJob, mode: 'direct' | 'traditional', s5cmd: S5cmdLocation | undefined): { routes: Routes; reason: string } {
  const traditional = job.traditional === 'staged' ? stagedEngine : streamEngine
  if (mode === 'traditional') return { routes: { primary: traditional, traditional }, reason: `traditional ${traditional.name}` }
  const { primary, reason } = chooseEngine(job, s5cmd)
  // Falling back is for `auto`: a job asked to run direct fails items that cannot.
  return { routes: { primary, direct: sdkEngine, ...(job.mode === 'auto' ? { traditional } : {}) }, reason: `engine ${reason}` }
}
