import type { JobSummary, RequestCounts } from './events.ts'

export const int = (n: number) => n.toLocaleString('en-US')

export function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let i = 0
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++ }
  return `${i ? n.toFixed(1) : n} ${units[i]}`
}

export function requests(counts: RequestCounts): string {
  const entries = Object.entries(counts).filter(([, n]) => n > 0)
  return entries.length ? entries.map(([op, n]) => `${op} ${int(n)}`).join(', ') : 'none'
}

/** The closing lines of a job, the same in every renderer but JSON. */
export function summaryLines(s: JobSummary): string[] {
  const reasons = Object.entries(s.reasons).map(([r, n]) => `${r} ${int(n)}`).join(', ')
  const head = s.dryRun
    ? `${s.job}: would copy ${int(s.planned)} (${bytes(s.bytesCopied)}), skip ${int(s.skipped)}`
    : `${s.job}: copied ${int(s.copied)} (${bytes(s.bytesCopied)}), skipped ${int(s.skipped)}, failed ${int(s.failed)}`
  return [
    head,
    `  why: ${reasons || 'nothing listed'}`,
    `  mode ${s.mode}, engine ${s.engine || 'none'}${Object.keys(s.engines).length > 1 ? ` (copied by ${requests(s.engines)})` : ''}; requests: ${requests(s.requests)}${s.dryRun ? ` (a run would add CopyObject ${int(s.planned)})` : ''}`,
    `  bytes through this host: ${bytes(s.bytesThroughHost)}; ${s.seconds.toFixed(2)} s`,
  ]
}
