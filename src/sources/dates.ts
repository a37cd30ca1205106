/** Dates of the archive: days (YYYY-MM-DD) or months (YYYY-MM), in UTC. */

const DAY = 86_400_000

/** Parses an ISO date, 'today', 'yesterday' or a relative '-30d'; returns a problem text instead of throwing. */
export function parseDate(value: string, now = new Date()): Date | string {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
  if (value === 'today') return new Date(today)
  if (value === 'yesterday') return new Date(today - DAY)
  const rel = /^-(\d+)d$/.exec(value)
  if (rel) return new Date(today - Number(rel[1]) * DAY)
  const iso = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(value)
  if (iso) {
    const d = new Date(Date.UTC(Number(iso[1]), Number(iso[2]) - 1, Number(iso[3] ?? 1)))
    if (d.getUTCMonth() === Number(iso[2]) - 1 && (!iso[3] || d.getUTCDate() === Number(iso[3]))) return d
  }
  return `expected an ISO date (2024-01-31), 'today', 'yesterday' or a relative '-30d', got ${JSON.stringify(value)}`
}

export const formatDay = (d: Date) => d.toISOString().slice(0, 10)
export const formatMonth = (d: Date) => d.toISOString().slice(0, 7)

/** Every day or month label from `from` to `to`, inclusive. */
export function dateLabels(from: Date, to: Date, frequency: 'daily' | 'monthly'): string[] {
  const out: string[] = []
  if (frequency === 'daily') for (let t = from.getTime(); t <= to.getTime(); t += DAY) out.push(formatDay(new Date(t)))
  else {
    const d = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1))
    for (; d <= to; d.setUTCMonth(d.getUTCMonth() + 1)) out.push(formatMonth(d))
  }
  return out
}
