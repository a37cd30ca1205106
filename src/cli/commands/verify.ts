import { ExitCode } from '../../api/errors.ts'
import type { ResolvedJob } from '../../api/config.ts'
import { verifyContext } from '../../verify/plugin-checks.ts'
import { SOCKET_HEADROOM } from '../../storage/client.ts'
import { RequestCounter } from '../../storage/meters.ts'
import { transportsFor } from '../../storage/job-transports.ts'
import { placeBuckets } from '../../route/bucket-regions.ts'
import { planJob } from '../../plan/plan-job.ts'
import type { PluginContainer } from '../../plugins/container.ts'
import { forEachPool } from '../../util/pool.ts'
import { int, requests } from '../../report/format.ts'
import { out } from '../../util/redact.ts'
import { selectJobs, type SelectionOptions } from '../select-jobs.ts'

/** What an audit of one job found: objects missing or different from the source, failed checks, and the checks' own counts. */
interface Audit {
  objects: number
  missing: number
  differs: number
  failed: number
  /** The plugins' `counted` phrases ("match their sidecar"), with how many objects each. */
  counted: Map<string, number>
}

/**
 * `lakesync verify`: audits an existing destination against its source (presence, size, ETag),
 * then passes every object there through the plugins' `verifyCopy` checks in read-only mode
 * (the checksum check compares each zip with its `.CHECKSUM` sidecar), copying and changing
 * nothing. Exit 3 when a check fails, 1 when objects are missing or differ.
 */
export async function verify(o: SelectionOptions & { signal: AbortSignal; json?: boolean }): Promise<number> {
  const { config, plugins } = await selectJobs(o)
  let code: number = ExitCode.ok
  for (const job of config.jobs) {
    const audit = await auditJob(job, plugins, o)
    if (audit.failed) code = ExitCode.verifyMismatch
    else if ((audit.missing || audit.differs) && code === ExitCode.ok) code = ExitCode.itemsFailed
  }
  return code
}

async function auditJob(asked: ResolvedJob, plugins: PluginContainer, o: { signal: AbortSignal; json?: boolean }): Promise<Audit> {
  const { signal } = o
  const counter = new RequestCounter()
  const { job } = await placeBuckets(asked, signal, counter)
  const transports = transportsFor(job.source.connection, job.destination.connection, { counter, maxSockets: job.concurrency + SOCKET_HEADROOM })
  const ctx = verifyContext(job, signal, transports, true)
  const audit: Audit = { objects: 0, missing: 0, differs: 0, failed: 0, counted: new Map() }
  const say = (line: string, data?: object) => out.line(o.json ? JSON.stringify({ job: job.name, ...data }) : `${job.name}: ${line}`)
  try {
    const plan = planJob(job, transports, { signal }).items
    // As many checks at once as the job copies: each is a round trip or two, so a remote archive is latency-bound.
    await forEachPool(plan, job.concurrency, async (p) => {
      audit.objects++
      if (p.action === 'copy' && p.reason === 'missing') return void (audit.missing++, say(`missing ${JSON.stringify(p.destKey)}`, { key: p.key, status: 'missing' }))
      if (p.action === 'copy') (audit.differs++, say(`differs ${JSON.stringify(p.destKey)} (${p.reason})`, { key: p.key, status: p.reason }))
      const verdict = await plugins.verifyCopy({ key: p.key, destKey: p.destKey, size: p.size }, ctx)
      if (verdict.ok) return verdict.counted.forEach((c) => audit.counted.set(c, (audit.counted.get(c) ?? 0) + 1))
      audit.failed++
      say(`FAILED ${JSON.stringify(p.destKey)} (${verdict.code}, by ${verdict.plugin}): ${verdict.error}`, { key: p.key, status: 'failed', code: verdict.code, plugin: verdict.plugin, error: verdict.error, ...verdict.details })
    }, signal)
  } finally {
    transports.destroy()
  }
  const counts = [...audit.counted].map(([phrase, n]) => `${int(n)} ${phrase}`)
  say(
    `checked ${int(audit.objects)} objects: ${[...counts, `${int(audit.failed)} failed a check`, `${int(audit.missing)} missing`, `${int(audit.differs)} differ from the source`].join(', ')}; requests: ${requests(counter.counts)}`,
    { status: 'summary', objects: audit.objects, missing: audit.missing, differs: audit.differs, failed: audit.failed, counted: Object.fromEntries(audit.counted), requests: counter.counts },
  )
  return audit
}
