import { ConfigError, EXIT_MEANING, ExitCode } from '../../api/errors.ts'
import { DEFAULTS } from '../../config/resolve.ts'
import { pruneRuns } from '../../state/prune.ts'
import { listRuns, stateDir } from '../../state/journal.ts'
import { int } from '../../report/format.ts'
import { out } from '../../util/redact.ts'


/** `lakesync runs`: past runs from their journals, newest first, with their outcome. */
export async function runs(o: { json?: boolean; limit?: number; prune?: boolean; keep?: number }): Promise<number> {
  if (o.prune) {
    const keep = o.keep ?? DEFAULTS.keepRuns
    if (!(Number.isInteger(keep) && keep >= 1)) throw new ConfigError([`--keep: expected a whole number of runs, 1 or more, got ${o.keep}`])
    const { removed, kept } = await pruneRuns(() => keep, stateDir())
    out.line(`pruned ${int(removed)} run journal(s) in ${stateDir()}, kept ${int(kept)} (the newest ${keep} of each job)`)
    return ExitCode.ok
  }
  const all = (await listRuns()).slice(0, o.limit ?? 20)
  if (o.json) {
    for (const r of all) out.line(JSON.stringify(r))
    return ExitCode.ok
  }
  if (!all.length) out.line(`no runs recorded yet in ${stateDir()}`)
  for (const r of all) {
    const outcome = r.exitCode === undefined ? 'incomplete (killed?)' : EXIT_MEANING[r.exitCode] ?? `exit ${r.exitCode}`
    out.line(`${r.startedAt}  ${outcome.padEnd(20)} copied ${int(r.copied)}, skipped ${int(r.skipped)}, failed ${int(r.failed)}${r.deleted ? `, deleted ${int(r.deleted)}` : ''}  [${r.jobs.join(', ')}]  ${r.file}`)
  }
  return ExitCode.ok
}
