import { readFile } from 'node:fs/promises'
import type { JobSummary, RequestCounts } from '../api/events.ts'
import { ConfigError } from '../api/errors.ts'

/** Request and job prices in USD; `--prices FILE` (JSON with any of these keys) overrides them. */
export interface Prices {
  /** COPY, PUT and LIST requests, per 1,000 (S3 Standard). */
  requestPer1000: number
  /** GET and HEAD requests, per 1,000. */
  readPer1000: number
  batchOpsPerJob: number
  batchOpsPerMillionObjects: number
  /** Where the figures come from, printed with them. */
  source: string
}

export const DEFAULT_PRICES: Prices = {
  requestPer1000: 0.005,
  readPer1000: 0.0004,
  batchOpsPerJob: 0.25,
  batchOpsPerMillionObjects: 1,
  source: 'S3 list prices, us-east-1, Standard (aws.amazon.com/s3/pricing): PUT/COPY/LIST $0.005 and GET/HEAD $0.0004 per 1,000; Batch Operations $0.25 per job + $1.00 per million objects',
}

export async function loadPrices(file: string | undefined): Promise<Prices> {
  if (!file) return DEFAULT_PRICES
  let given: Record<string, unknown>
  try {
    given = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    throw new ConfigError([`--prices: cannot read ${file} as JSON (${(error as Error).message})`])
  }
  const numbers = ['requestPer1000', 'readPer1000', 'batchOpsPerJob', 'batchOpsPerMillionObjects'] as const
  const bad = Object.keys(given).filter((k) => k !== 'source' && !(numbers as readonly string[]).includes(k))
  const nan = numbers.filter((k) => k in given && !(typeof given[k] === 'number' && (given[k] as number) >= 0))
  if (bad.length || nan.length) throw new ConfigError([...bad.map((k) => `--prices: unknown key ${k} (known: ${numbers.join(', ')}, source)`), ...nan.map((k) => `--prices: ${k} must be a number of USD, 0 or more`)])
  return { ...DEFAULT_PRICES, source: `${file}`, ...given } as Prices
}

/** The requests a real run would add to a dry run's listing: the copies and their size checks, the deletions. */
export function runRequests(s: Pick<JobSummary, 'planned' | 'plannedUnproven' | 'mode' | 'engine' | 'deletePlanned'>): RequestCounts {
  const counts: RequestCounts = {}
  if (s.planned) {
    if (s.mode === 'traditional') Object.assign(counts, { GetObject: s.planned, PutObject: s.planned })
    else counts.CopyObject = s.planned
    // A lean or sdk copy of a single-part object is proven by its answer's ETag (src/verify/size.ts).
    const checked = s.mode === 'direct' && (s.engine === 'lean' || s.engine === 'sdk') ? s.plannedUnproven ?? 0 : s.planned
    // Windows of up to 1,000 copies are checked with ~1-2 listing pages; a window under 20, with HEADs.
    const rest = checked % 1000
    const lists = Math.floor(checked / 1000) * 2 + (rest >= 20 ? 2 : 0)
    if (lists) counts.ListObjectsV2 = lists
    if (rest < 20 && rest) counts.HeadObject = rest
  }
  if (s.deletePlanned) counts.DeleteObjects = Math.ceil(s.deletePlanned / 1000)
  return counts
}

export interface RouteCost {
  requests: number
  usd: number
}

/**
 * A direct job's two routes, from its dry run: lakesync (the plan's listing, then a CopyObject
 * per object and the size checks) and S3 Batch Operations (the same listing to make the
 * manifest, its upload, a COPY per object made by the service, the job and per-object fees;
 * the completion report's few PUTs are left out).
 */
export function routeCosts(s: Pick<JobSummary, 'planned' | 'plannedUnproven' | 'mode' | 'engine' | 'deletePlanned' | 'requests'>, prices: Prices): { lakesync: RouteCost; batchOps: RouteCost } {
  const cost = (counts: RequestCounts) => {
    let usd = 0
    let requests = 0
    for (const [op, n] of Object.entries(counts)) {
      requests += n
      usd += (n / 1000) * (/^(Get|Head)/.test(op) ? prices.readPer1000 : prices.requestPer1000)
    }
    return { requests, usd }
  }
  const listing = cost(s.requests)
  const lakesync = cost(runRequests(s))
  const service = cost({ PutObject: 1, CopyObject: s.planned })
  return {
    lakesync: { requests: listing.requests + lakesync.requests, usd: listing.usd + lakesync.usd },
    batchOps: { requests: listing.requests + service.requests, usd: listing.usd + service.usd + prices.batchOpsPerJob + (s.planned / 1e6) * prices.batchOpsPerMillionObjects },
  }
}
