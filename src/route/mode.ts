import type { ConnectionConfig, DirectEngineName, ResolvedJob } from '../api/config.ts'
import { PreflightError } from '../api/errors.ts'
import { describeRoute, serviceOf } from '../config/service.ts'
import { sameEndpointUrl } from '../config/endpoint.ts'
import { withoutUndefined } from '../config/resolve.ts'
import type { RequestCounter } from '../storage/meters.ts'
import { SdkTransport } from '../storage/sdk-transport.ts'
import { isAccessRefused, preflightError } from '../storage/preflight.ts'
import type { ModeDecision } from '../api/config.ts'
import { PluginHookError, type PluginContainer } from '../plugins/container.ts'
import { describeS5cmd, type S5cmdLocation } from '../engines/find-s5cmd.ts'
import { createS5cmdEngine } from '../engines/s5cmd.ts'
import { sdkEngine } from '../engines/sdk-copy.ts'
import { leanEngine } from '../engines/lean-copy.ts'
import { streamEngine } from '../engines/traditional-stream.ts'
import { stagedEngine } from '../engines/traditional-staged.ts'
import type { Engine } from '../engines/types.ts'

/** A job's two sides: where they are and who reads them. */
type Sides = Pick<ResolvedJob, 'source' | 'destination'>

/** The engines a job's items may take. */
export interface Routes {
  /** The job's engine; it works in batches of `batchSize` items. */
  primary: Engine
  /** Direct copies the primary cannot carry, rescues and retries of direct copies (sdk). */
  direct?: Engine
  /** Where items go that cannot be copied server-side, when the job allows it. */
  traditional?: Engine
}


/**
 * The destination's identity sent where the source lives: the probe asks with it whether a
 * server-side copy may read the source, and must ask the source's region (S3 answers a request
 * for a bucket of another region with a redirect, not with the bucket).
 */
export function destinationAtSource(job: Sides): ConnectionConfig {
  const { endpoint: _endpoint, region: _region, pathStyle: _pathStyle, ...identity } = job.destination.connection
  const { endpoint, region, pathStyle } = job.source.connection
  return { ...identity, ...withoutUndefined({ endpoint, region, pathStyle }) }
}

/** Lists one source key and HEADs it with the destination's identity: can it copy server-side? */
export async function destinationCanReadSource(job: Sides, signal: AbortSignal, counter?: RequestCounter): Promise<boolean> {
  const transport = SdkTransport.open(destinationAtSource(job), counter ? { counter } : {})
  const refused = (error: unknown) => {
    if (signal.aborted) throw error
    return isAccessRefused(error)
  }
  try {
    let key: string | undefined
    try {
      const page = await transport.listPage({ bucket: job.source.bucket, prefix: job.source.prefix, maxKeys: 1 }, signal)
      key = page.objects[0]?.key
    } catch (error) {
      // Only a refusal answers the question; an unreachable endpoint or a missing bucket is a preflight failure.
      if (refused(error)) return false
      throw preflightError(error, `source s3://${job.source.bucket}/${job.source.prefix}`, job.source)
    }
    if (!key) return true
    // A key deleted since it was listed says nothing either way; the copies will tell.
    return await transport.head(job.source.bucket, key, signal).then(() => true, (error) => !refused(error))
  } finally {
    transport.destroy()
  }
}

/** Direct copies asked of an identity that may not read the source: every copy would be refused. */
function cannotReadSource(job: Pick<ResolvedJob, 'name' | 'source' | 'destination'>): PreflightError {
  const { bucket, prefix } = job.source
  return new PreflightError(
    `job ${job.name}: --mode direct: the destination's identity (connection ${job.destination.connectionName}) may not read s3://${bucket}/${prefix}, and a server-side copy reads the source as the destination`,
    `grant it s3:ListBucket on arn:aws:s3:::${bucket} and s3:GetObject on arn:aws:s3:::${bucket}/* (docs/guides/aws.md), or use --mode auto to copy through this host`,
  )
}

/** The job's mode: as requested, or for `auto` what the plugins decide from the probe. */
export async function decideMode(job: ResolvedJob, plugins: PluginContainer, s5cmd: S5cmdLocation | undefined, signal: AbortSignal, counter?: RequestCounter): Promise<ModeDecision & { by?: string }> {
  const same = job.sameService
  let decision: ModeDecision & { by?: string }
  if (job.mode !== 'auto') decision = { mode: job.mode, reason: `--mode ${job.mode} requested` }
  else {
    let probed: Promise<boolean> | undefined
    // The probe failing (an unreachable or untrusted endpoint) is a preflight failure, not the plugin's that asked.
    let probeFailure: { error: unknown } | undefined
    const probe = { destinationCanReadSource: () => (probed ??= destinationCanReadSource(job, signal, counter).catch((error) => Promise.reject((probeFailure = { error }).error))) }
    const ctx = { job, sameService: same, sameEndpoint: same, sameIdentity: job.sameIdentity, route: describeRoute(job), s5cmdAvailable: Boolean(s5cmd && !s5cmd.unusable), probe }
    const chosen = await plugins.first('selectMode', ctx).catch((error) => Promise.reject(probeFailure ? probeFailure.error : error))
    // The rule itself lives in autoMode(), present unless a config brings its own.
    if (!chosen) throw new PreflightError(`job ${job.name}: no plugin chose a mode for --mode auto`, 'keep autoMode() in the config\'s plugins (it is added unless the config brings its own), or set mode: direct or traditional')
    decision = { ...chosen.value, by: chosen.plugin }
  }
  if (job.mode === 'direct' && same && !job.sameIdentity && !(await destinationCanReadSource(job, signal, counter))) throw cannotReadSource(job)
  if (decision.mode === 'direct' && !same) {
    throw new PreflightError(
      `job ${job.name}: --mode direct needs source and destination on one S3 service, but they are on ${describeRoute(job)}`,
      'use --mode auto or --mode traditional to copy through this host; for an S3-compatible cloud whose regions have their own endpoints, name it with the connections\' `service`',
    )
  }
  return decision
}

/**
 * The direct-copy engine: the one the job names, or for `auto` the plugins' choice (autoMode()
 * takes lean), from the engines the job may take and what each can do.
 */
export async function chooseEngine(job: ResolvedJob, s5cmd: S5cmdLocation | undefined, plugins: PluginContainer): Promise<{ primary: Engine; reason: string }> {
  const blocker = !s5cmd ? 's5cmd not found (PATH, LAKESYNC_S5CMD, config s5cmd)' : s5cmdCannotReach(job)
  const engine = (name: DirectEngineName): Engine => (name === 's5cmd' ? createS5cmdEngine(s5cmd!.path) : name === 'sdk' ? sdkEngine : leanEngine)
  if (job.engine === 's5cmd') {
    if (blocker) throw new PreflightError(`job ${job.name}: --engine s5cmd is not usable: ${blocker}`, 'install s5cmd (npm run setup) or use --engine lean')
    // A bastion's read-only or full home must not stop the copy: the lean engine needs no file.
    if (s5cmd!.unusable) return { primary: leanEngine, reason: `lean, since the binary's own s5cmd is unusable: ${s5cmd!.unusable}` }
    return { primary: engine('s5cmd'), reason: `${describeS5cmd(s5cmd!)} requested` }
  }
  if (job.engine !== 'auto') return { primary: engine(job.engine), reason: `${job.engine} requested` }
  const usable = !blocker && !s5cmd!.unusable
  const candidates: Partial<Record<DirectEngineName, Engine>> = { lean: leanEngine, sdk: sdkEngine, ...(usable ? { s5cmd: engine('s5cmd') } : {}) }
  const engines = Object.fromEntries(Object.entries(candidates).map(([name, e]) => [name, e.capabilities]))
  const chosen = await plugins.first('selectEngine', { job, engines, needs: plugins.copyNeeds(job), ...(usable ? {} : { s5cmdMissing: blocker ?? s5cmd!.unusable }) })
  if (!chosen) return { primary: leanEngine, reason: 'lean (no plugin chose an engine)' }
  const primary = candidates[chosen.value.engine]
  if (!primary) throw new PluginHookError(chosen.plugin, 'selectEngine', new Error(`chose engine "${chosen.value.engine}", which this job cannot take${chosen.value.engine === 's5cmd' ? `: ${blocker ?? s5cmd!.unusable}` : ''}`))
  return { primary, reason: chosen.value.reason }
}

/**
 * s5cmd copies with the destination's identity and sends every request to one endpoint (or, on
 * AWS, to each bucket's region by its --source-region/--destination-region).
 */
function s5cmdCannotReach(job: Pick<ResolvedJob, 'sameService' | 'source' | 'destination'>): string | undefined {
  if (!job.sameService) return `source and destination are on ${describeRoute(job)}, s5cmd copies server-side only`
  const { source, destination } = job
  if (serviceOf(destination.connection).aws || sameEndpointUrl(source.connection.endpoint, destination.connection.endpoint)) return undefined
  return 'source and destination have different endpoints of one service, s5cmd sends to one'
}

/** The engines a job's items may take, given its mode. */
export async function routesFor(job: ResolvedJob, mode: 'direct' | 'traditional', s5cmd: S5cmdLocation | undefined, plugins: PluginContainer): Promise<{ routes: Routes; reason: string }> {
  const traditional = job.traditional === 'staged' ? stagedEngine : streamEngine
  if (mode === 'traditional') return { routes: { primary: traditional, traditional }, reason: `traditional ${traditional.name}` }
  const { primary, reason } = await chooseEngine(job, s5cmd, plugins)
  // Falling back is for `auto`: a job asked to run direct fails items that cannot.
  return { routes: { primary, direct: sdkEngine, ...(job.mode === 'auto' ? { traditional } : {}) }, reason: `engine ${reason}` }
}
