import { ExitCode, LakesyncError } from '../../api/errors.ts'
import { describeS5cmd, findS5cmd } from '../../engines/find-s5cmd.ts'
import { chooseEngine, decideMode } from '../../route/mode.ts'
import { placeBuckets } from '../../route/bucket-regions.ts'
import { describeEndpoint } from '../../config/endpoint.ts'
import { checkLocation } from '../../storage/preflight.ts'
import { SdkTransport } from '../../storage/sdk-transport.ts'
import { out } from '../../util/redact.ts'
import { selectJobs, type SelectionOptions } from '../select-jobs.ts'

/** `lakesync doctor`: s5cmd, then per job each bucket's region, each side's endpoint, bucket and access, and the mode and engine it would use (the probe included). */
export async function doctor(o: SelectionOptions & { signal: AbortSignal }): Promise<number> {
  let worst: number = ExitCode.ok
  const s5 = await findS5cmd(undefined, process.env, { use: true })
  if (s5?.unusable) out.line(`warn  the binary's own s5cmd is unusable: ${s5.unusable}; --engine s5cmd will copy with the lean engine`)
  else if (s5?.version) out.line(`ok    ${describeS5cmd(s5)}`)
  else if (s5) out.line(`warn  ${s5.path} (found via ${s5.from}) does not answer \`s5cmd version\`: is it s5cmd?`)
  else out.line('warn  s5cmd not found: --engine s5cmd is unavailable (install: npm run setup, or put s5cmd on PATH, or set LAKESYNC_S5CMD)')
  const { config, plugins } = await selectJobs(o)
  const found = config.s5cmd ? await findS5cmd(config.s5cmd) : s5
  for (const asked of config.jobs) {
    const failed = (error: unknown) => {
      worst = error instanceof LakesyncError ? error.exitCode : ExitCode.preflight
      out.line(`FAIL  ${error instanceof Error ? error.message : String(error)}${error instanceof LakesyncError && error.hint ? `\n      hint: ${error.hint}` : ''}`)
    }
    const { job, places } = await placeBuckets(asked, o.signal)
    for (const p of places) out.line(`${p.how === 'followed' ? 'warn' : 'ok  '}  ${job.name}: bucket ${p.bucket} is in ${p.region}${p.how === 'followed' ? ` (its connection says ${p.configured}; S3 answered ${p.answer}); set region: '${p.region}' to save the redirect` : ''}`)
    for (const side of ['source', 'destination'] as const) {
      const loc = job[side]
      const transport = SdkTransport.open(loc.connection, { maxAttempts: 1 })
      try {
        await checkLocation(transport, loc, side, o.signal)
        out.line(`ok    ${job.name}: ${side} s3://${loc.bucket}/${loc.prefix} reachable on ${describeEndpoint(loc.connection.endpoint)} (connection ${loc.connectionName})`)
      } catch (error) {
        failed(error)
      } finally {
        transport.destroy()
      }
    }
    try {
      const decision = await decideMode(job, plugins, found, o.signal)
      const engine = decision.mode === 'direct' ? `, engine ${(await chooseEngine(job, found, plugins)).reason}` : ''
      out.line(`${decision.mode === 'direct' ? 'ok  ' : 'warn'}  ${job.name}: mode ${decision.mode} (${decision.reason})${engine}`)
    } catch (error) {
      failed(error)
    }
  }
  return worst
}
