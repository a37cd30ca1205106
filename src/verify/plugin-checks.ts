import type { CopyToVerify } from '../api/config.ts'
import type { CopyOutcome } from '../engines/types.ts'
import type { PluginVerdict } from '../plugins/container.ts'
import { forEachPool } from '../util/pool.ts'

/** Copies checked at once by the plugins' `verifyCopy` hooks (each check is a request or two). */
const CHECKS_IN_FLIGHT = 16

/** Passes each copy still ok through the plugins' checks; a failed check fails its item. */
export async function verifyByPlugins(
  outcomes: CopyOutcome[],
  check: (copy: CopyToVerify) => Promise<PluginVerdict>,
  signal: AbortSignal,
): Promise<CopyOutcome[]> {
  const checked = new Map<CopyOutcome, CopyOutcome>()
  await forEachPool(outcomes.filter((o) => o.ok), CHECKS_IN_FLIGHT, async (o) => {
    const { key, destKey, size } = o.item
    const verdict = await check({ key, destKey, size, ...(o.sha256 ? { sha256: o.sha256 } : {}), ...(o.note ? { note: o.note } : {}) })
    if (!verdict.ok) checked.set(o, { ...o, ok: false, code: verdict.code, error: verdict.error })
    else if (verdict.note !== o.note) checked.set(o, { ...o, note: verdict.note })
  }, signal)
  return outcomes.map((o) => checked.get(o) ?? o)
}
