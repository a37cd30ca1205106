import { readFile } from 'node:fs/promises'
import type { JobSummary, RequestCounts } from '../api/events.ts'
import { ConfigError } from '../api/errors.ts'
import type { ResolvedJob } from '../api/config.ts'
import { serviceOf } from '../config/service.ts'

/** Request and job prices in USD; `--prices FILE` (JSON with any of these keys) overrides them. */
export interface Prices {
  /** COPY, PUT and LIST requests, per 1,000 (S3 Standard). */
  requestPer1000: number
  /** GET and HEAD requests, per 1,000. */
  readPer1000: number
  batchOpsPerJob: number
  batchOpsPerMillionObjects: number
  /**
   * A server-side copy between regions, per GB, by the source bucket's region (`default` for the
   * rest): S3 prices inter-region transfer by the region the bytes leave.
   */
  interRegionPerGB: Record<string, number>
  /** Where the figures come from, printed with them. */
  source: string
}

export const DEFAULT_PRICES: Prices = {
  requestPer1000: 0.005,
  readPer1000: 0.0004,
  batchOpsPerJob: 0.25,
  batchOpsPerMillionObjects: 1,
  // The S3 price page's Data Transfer tab, "Data Transfer OUT From Amazon S3 To" another AWS region,
  // first tier, for the regions below; others are priced as `default` (most US and EU regions).
  interRegionPerGB: { default: 0.02, 'ap-northeast-1': 0.09, 'ap-northeast-2': 0.08, 'ap-southeast-1': 0.09, 'ap-southeast-2': 0.098, 'ap-south-1': 0.086, 'sa-east-1': 0.138 },
  source: 'S3 list prices, us-east-1, Standard (aws.amazon.com/s3/pricing): PUT/COPY/LIST $0.005 and GET/HEAD $0.0004 per 1,000; Batch Operations $0.25 per job + $1.00 per million objects; inter-region transfer by source region (Data Transfer tab)',
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
  const bad = Object.keys(given).filter((k) => k !== 'source' && k !== 'interRegionPerGB' && !(numbers as readonly string[]).includes(k))
  const nan = numbers.filter((k) => k in given && !usd(given[k]))
  const perRegion = given.interRegionPerGB
  const badRegions = perRegion !== undefined && !(perRegion && typeof perRegion === 'object' && Object.values(perRegion).every(usd))
  if (bad.length || nan.length || badRegions) {
    throw new ConfigError([
      ...bad.map((k) => `--prices: unknown key ${k} (known: ${numbers.join(', ')}, interRegionPerGB, source)`),
      ...nan.map((k) => `--prices: ${k} must be a number of USD, 0 or more`),
      ...(badRegions ? ['--prices: interRegionPerGB must map source regions (and "default") to USD per GB, e.g. {"default": 0.02, "ap-northeast-1": 0.09}'] : []),
    ])
  }
  const interRegionPerGB = { ...DEFAULT_PRICES.interRegionPerGB, ...(perRegion as Record<string, number> | undefined) }
  return { ...DEFAULT_PRICES, source: `${file}`, ...given, interRegionPerGB } as Prices
}

const usd = (v: unknown) => typeof v === 'number' && v >= 0

/**
 * The inter-region transfer of a direct job's planned bytes, when its buckets are in two regions
 * of AWS. S3 bills it to the source bucket's owner (to the requester where the source is Requester
 * Pays), by the source's region; the COPY requests are the destination identity's.
 */
export function crossRegionCost(job: Pick<ResolvedJob, 'source' | 'destination' | 'sameService'>, plannedBytes: number, prices: Prices): JobSummary['crossRegion'] {
  const from = job.source.connection.region
  const to = job.destination.connection.region
  if (!from || !to || from === to || !job.sameService || !serviceOf(job.source.connection).aws) return undefined
  const perGB = prices.interRegionPerGB[from] ?? prices.interRegionPerGB.default ?? 0
  return { from, to, bytes: plannedBytes, perGB, usd: (plannedBytes / 1e9) * perGB }
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
