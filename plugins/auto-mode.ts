import type { Plugin } from '../src/index.ts'

/**
 * Picks the mode of an `auto` job from a probe: server-side (direct) when both sides are on
 * one endpoint and the destination's identity can read the source, else traditional.
 */
export function autoMode(): Plugin {
  return {
    name: 'lakesync:auto-mode',
    async selectMode({ job, sameEndpoint, sameIdentity, probe }) {
      if (job.mode !== 'auto') return null
      if (!sameEndpoint) return { mode: 'traditional', reason: 'source and destination are on different endpoints, so no server-side copy is possible' }
      // One identity: a copy reads the source exactly as the listing does, so there is nothing to probe.
      if (sameIdentity) return { mode: 'direct', reason: 'both sides on one endpoint with one identity' }
      if (!(await probe.destinationCanReadSource())) return { mode: 'traditional', reason: "the destination's identity cannot read the source, so it cannot copy server-side" }
      return { mode: 'direct', reason: "both sides on one endpoint and the destination's identity can read the source" }
    },
  }
}
