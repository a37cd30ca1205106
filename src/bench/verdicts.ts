import { bytes } from '../report/format.ts'
import type { BenchReport, ModeResult } from '../api/bench-report.ts'

const BASELINE = 'traditional staged'

/** One sentence per mode against the staged baseline, e.g. "direct (s5cmd): 6.1× faster, 1 request per object instead of 2, no local disk". */
export function verdicts(report: BenchReport): string[] {
  const base = report.modes.find((m) => m.mode === BASELINE)
  if (!base) return []
  return report.modes.filter((m) => m !== base).map((m) => {
    const speed = base.medianSeconds / m.medianSeconds
    const parts = [speed >= 1 ? `${speed.toFixed(1)}× faster` : `${(1 / speed).toFixed(1)}× slower`]
    parts.push(`${perObject(m)} per object instead of ${perObject(base)}`)
    if (m.bytesThroughHost !== undefined) parts.push(m.bytesThroughHost === 0 ? 'no bytes through this host' : `${bytes(m.bytesThroughHost)} through this host instead of ${bytes(base.bytesThroughHost ?? 0)}`)
    parts.push(m.peakDiskBytes ? `${bytes(m.peakDiskBytes)} of local disk` : 'no local disk')
    if (m.failures) parts.push(`${m.failures} failures`)
    return `${m.mode}: ${parts.join(', ')}`
  })
}

function perObject(m: ModeResult): string {
  const n = Math.round(m.requestsPerObject * 10) / 10
  return `${n} request${n === 1 ? '' : 's'}`
}
