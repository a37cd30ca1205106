import { ExitCode, LakesyncError } from '../../api/errors.ts'
import { describeS5cmd, findS5cmd } from '../../engines/find-s5cmd.ts'
import { chooseEngine } from '../../route/mode.ts'
import { describeEndpoint } from '../../config/endpoint.ts'
import { checkLocation } from '../../storage/preflight.ts'
import { createS3Client } from '../../storage/client.ts'
import { out } from '../../util/redact.ts'
import { selectJobs, type SelectionOptions } from '../select-jobs.ts'

/** `lakesync doctor`: s5cmd, then per job each side's endpoint, bucket and access, and the mode it would use. */
export async function doctor(o: SelectionOptions & { signal: AbortSignal }): Promise<number> {
  let worst: number = ExitCode.ok
  const s5 = await findS5cmd(undefined, process.env, { use: true })
  if (s5?.unusable) out.line(`warn  the binary's own s5cmd is unusable: ${s5.unusable}; --engine s5cmd will copy with the lean engine`)
  else if (s5?.version) out.line(`ok    ${describeS5cmd(s5)}`)
  else if (s5) out.line(`warn  ${s5.path} (found via ${s5.from}) does not answer \`s5cmd version\`: is it s5cmd?`)
  else out.line('warn  s5cmd not found: --engine s5cmd is unavailable (install: npm run setup, or put s5cmd on PATH, or set LAKESYNC_S5CMD)')
  const { config } = await selectJobs(o)
  const found = config.s5cmd ? await findS5cmd(config.s5cmd) : s5
  for (const job of config.jobs) {
    for (const side of ['source', 'destination'] as const) {
      const loc = job[side]
      const client = createS3Client(loc.connection, { maxAttempts: 1 })
      try {
        await checkLocation(client, loc, side, o.signal)
        out.line(`ok    ${job.name}: ${side} s3://${loc.bucket}/${loc.prefix} reachable on ${describeEndpoint(loc.connection.endpoint)} (connection ${loc.connectionName})`)
      } catch (error) {
        worst = error instanceof LakesyncError ? error.exitCode : ExitCode.preflight
        out.line(`FAIL  ${error instanceof Error ? error.message : String(error)}${error instanceof LakesyncError && error.hint ? `\n      hint: ${error.hint}` : ''}`)
      } finally {
        client.destroy()
      }
    }
    const same = job.sameEndpoint
    if (!same) out.line(`warn  ${job.name}: sides on different endpoints; a server-side copy is impossible`)
    else {
      try {
        out.line(`ok    ${job.name}: mode direct, engine ${chooseEngine(job, found).reason}`)
      } catch (error) {
        worst = ExitCode.preflight
        out.line(`FAIL  ${(error as Error).message}`)
      }
    }
  }
  return worst
}
