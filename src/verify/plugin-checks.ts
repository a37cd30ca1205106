import type { CopyToVerify, ResolvedJob, VerifyContext } from '../api/config.ts'
import type { S3Transport } from '../api/transport.ts'
import type { SdkTransport } from '../storage/sdk-transport.ts'
import type { CopyOutcome } from '../engines/types.ts'
import type { PluginVerdict } from '../plugins/container.ts'
import type { Slots } from '../util/slots.ts'

/**
 * Passes each copy still ok through the plugins' checks; a failed check fails its item.
 * `slots` holds the checks in flight across all of a job's windows (each check is a request or
 * two, a sidecar GET for a checksum): as many as the job's copies, so checking keeps pace with
 * copying however long a request takes. The first error stops the checks not yet started and is thrown.
 */
export async function verifyByPlugins(
  outcomes: CopyOutcome[],
  check: (copy: CopyToVerify) => Promise<PluginVerdict>,
  slots: Slots,
  signal: AbortSignal,
): Promise<CopyOutcome[]> {
  const checked = new Map<CopyOutcome, CopyOutcome>()
  let failed: unknown
  const one = async (o: CopyOutcome) => {
    await slots.take()
    try {
      if (signal.aborted || failed !== undefined) return
      const { key, destKey, size } = o.item
      const verdict = await check({ key, destKey, size, ...(o.sha256 ? { sha256: o.sha256 } : {}), ...(o.note ? { note: o.note } : {}) })
      if (!verdict.ok) checked.set(o, { ...o, ok: false, code: verdict.code, error: verdict.error })
      else if (verdict.note !== o.note) checked.set(o, { ...o, note: verdict.note })
    } catch (error) {
      failed ??= error
    } finally {
      slots.give()
    }
  }
  await Promise.all(outcomes.filter((o) => o.ok).map(one))
  if (failed !== undefined) throw failed
  return outcomes.map((o) => checked.get(o) ?? o)
}

/**
 * What a plugin's `verifyCopy` is given: the job's two sides, their SDK clients for plugins
 * written before the transports, and whether the check may change the destination (a sync) or
 * not (`lakesync verify`).
 */
export function verifyContext(job: ResolvedJob, signal: AbortSignal, sides: { source: S3Transport; dest: S3Transport; sdk: { source: SdkTransport; dest: SdkTransport } }, readOnly: boolean): VerifyContext {
  return { job, signal, readOnly, source: sides.source, dest: sides.dest, sourceClient: sides.sdk.source.client, destClient: sides.sdk.dest.client }
}
