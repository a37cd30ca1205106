import { createHash } from 'node:crypto'
import { ExitCode } from '../../api/errors.ts'
import { SOCKET_HEADROOM } from '../../storage/client.ts'
import { RequestCounter } from '../../storage/meters.ts'
import { transportsFor } from '../../storage/job-transports.ts'
import { placeBuckets } from '../../route/bucket-regions.ts'
import { planJob } from '../../plan/plan-job.ts'
import { readSidecar, storedSha256 } from '../../verify/checksum.ts'
import { forEachPool } from '../../util/pool.ts'
import { int, requests } from '../../report/format.ts'
import { out } from '../../util/redact.ts'
import { selectJobs, type SelectionOptions } from '../select-jobs.ts'

/**
 * `lakesync verify`: compares an existing destination with its source (presence, size, ETag)
 * and every zip with its `.CHECKSUM` sidecar, copying and changing nothing. The destination's
 * SHA-256 comes from the server (HEAD) where it kept one, else from reading the object.
 */
export async function verify(o: SelectionOptions & { signal: AbortSignal; json?: boolean }): Promise<number> {
  const { config } = await selectJobs(o)
  let code: number = ExitCode.ok
  for (const asked of config.jobs) {
    const counter = new RequestCounter()
    const { job } = await placeBuckets(asked, o.signal, counter)
    const transports = transportsFor(job.source.connection, job.destination.connection, { counter, maxSockets: job.concurrency + SOCKET_HEADROOM })
    const { source: src, dest: dst } = transports
    const tally = { matched: 0, mismatched: 0, missing: 0, differs: 0, noSidecar: 0, read: 0 }
    const say = (line: string, data?: object) => out.line(o.json ? JSON.stringify({ job: job.name, ...data }) : `${job.name}: ${line}`)
    try {
      const plan = planJob(job, transports, { signal: o.signal }).items
      // As many checks at once as the job copies: each is a round trip or two, so a remote archive is latency-bound.
      await forEachPool(plan, job.concurrency, async (p) => {
        if (p.action === 'copy' && p.reason === 'missing') return void (tally.missing++, say(`missing ${JSON.stringify(p.destKey)}`, { key: p.key, status: 'missing' }))
        if (p.action === 'copy') (tally.differs++, say(`differs ${JSON.stringify(p.destKey)} (${p.reason})`, { key: p.key, status: p.reason }))
        if (!p.key.endsWith('.zip')) return
        const published = await readSidecar(src, job.source.bucket, p.key, o.signal)
        if (!published) return void tally.noSidecar++
        let actual = await storedSha256(dst, job.destination.bucket, p.destKey, o.signal)
        if (!actual) {
          tally.read++
          const { body } = await dst.getObject(job.destination.bucket, p.destKey, o.signal)
          const hash = createHash('sha256')
          for await (const chunk of body) hash.update(chunk)
          actual = hash.digest('hex')
        }
        if (actual === published) return void tally.matched++
        tally.mismatched++
        say(`MISMATCH ${JSON.stringify(p.destKey)}: the sidecar says ${published}, the destination has ${actual}`, { key: p.key, status: 'mismatch', sidecar: published, actual })
      }, o.signal)
    } finally {
      transports.destroy()
    }
    say(
      `checked: ${int(tally.matched)} match their sidecar, ${int(tally.mismatched)} mismatch, ${int(tally.missing)} missing, ${int(tally.differs)} differ from the source, ${int(tally.noSidecar)} without sidecar; ${int(tally.read)} read to hash; requests: ${requests(counter.counts)}`,
      { status: 'summary', ...tally, requests: counter.counts },
    )
    if (tally.mismatched) code = ExitCode.verifyMismatch
    else if ((tally.missing || tally.differs) && code === ExitCode.ok) code = ExitCode.itemsFailed
  }
  return code
}
