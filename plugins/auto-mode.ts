import type { Plugin } from '../src/index.ts'

/**
 * Picks the mode of an `auto` job from a probe: server-side (direct) when both sides are on
 * one S3 service (any regions) and the destination's identity can read the source, else
 * traditional; and the engine of an `auto` direct job: lean.
 */
export function autoMode(): Plugin {
  return {
    name: 'lakesync:auto-mode',
    async selectMode({ job, sameService, sameIdentity, route, probe }) {
      if (job.mode !== 'auto') return null
      if (!sameService) return { mode: 'traditional', reason: `source and destination are on ${route}, so no server-side copy is possible` }
      // One identity: a copy reads the source exactly as the listing does, so there is nothing to probe.
      if (sameIdentity) return { mode: 'direct', reason: `${route}, one identity` }
      if (!(await probe.destinationCanReadSource())) return { mode: 'traditional', reason: `${route}, but the destination's identity cannot read the source, so it cannot copy server-side` }
      return { mode: 'direct', reason: `${route}, the destination's identity can read the source` }
    },
    // Measured side by side (docs/BENCHMARKS-HISTORY.md §8), lean copies small objects faster than
    // s5cmd at half its CPU per object, and its answers carry each copy's SHA-256 for checksum jobs.
    selectEngine({ engines, needs }) {
      if (needs.sha256 && engines.lean?.answersWithEtag) return { engine: 'lean', reason: "lean, since checksum verification needs CopyObject's SHA-256" }
      return { engine: 'lean', reason: 'lean, fastest per copied object (s5cmd: --engine s5cmd)' }
    },
  }
}
