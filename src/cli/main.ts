import { setMaxListeners } from 'node:events'
import yargs, { type Argv, type Options } from 'yargs'
import { hideBin } from 'yargs/helpers'
import { ConfigError, EXIT_CODES, ExitCode, LakesyncError } from '../api/errors.ts'
import { flagHelp, flagName, type OptionSpec } from '../api/options.ts'
import { FLAG_OPTIONS } from './flag-options.ts'
import { out, registerEnvSecrets } from '../util/redact.ts'
import { describeS3Error } from '../storage/errors.ts'
import { slowHeapGrowth } from './gc-tuning.ts'
import { SIGNAL_EXIT, stopOnSignals } from './interrupts.ts'
// Commands load when called, so `--help` and `--version` start fast.
const loaded = async <T>(module: Promise<T>) => {
  const m = await module
  slowHeapGrowth()
  return m
}
const sync = async (o: Parameters<typeof import('./commands/sync.ts')['sync']>[0]) => (await loaded(import('./commands/sync.ts'))).sync(o)
const init = async (o: Parameters<typeof import('./commands/init.ts')['init']>[0]) => (await loaded(import('./commands/init.ts'))).init(o)
const doctor = async (o: Parameters<typeof import('./commands/doctor.ts')['doctor']>[0]) => (await loaded(import('./commands/doctor.ts'))).doctor(o)
const verify = async (o: Parameters<typeof import('./commands/verify.ts')['verify']>[0]) => (await loaded(import('./commands/verify.ts'))).verify(o)
const bench = async (o: Parameters<typeof import('./commands/bench.ts')['bench']>[0]) => (await loaded(import('./commands/bench.ts'))).bench(o)
const runs = async (o: Parameters<typeof import('./commands/runs.ts')['runs']>[0]) => (await loaded(import('./commands/runs.ts'))).runs(o)
const batchOps = async () => loaded(import('./commands/batch-ops.ts'))
import { VERSION } from '../api/version.ts'

const selection = <T>(y: Argv<T>) =>
  y
    .positional('jobs', { describe: 'jobs of the config to run (default: all)', type: 'string', array: true })
    .option('config', { alias: 'c', type: 'string', describe: 'config file (default: lakesync.config.ts/.mjs/.js/.json or package.json "lakesync" in this directory)' })
    .option('env', { type: 'string', describe: 'settings to use, for a config that exports a function of { command, env } (default: LAKESYNC_ENV)' })
    .option('from', { type: 'string', describe: 'ad-hoc job without a config: source s3://bucket/prefix/' })
    .option('to', { type: 'string', describe: 'ad-hoc job: destination s3://bucket/prefix/' })
    .option('endpoint', { type: 'string', describe: 'ad-hoc job: S3 endpoint URL for both sides' })
    .option('source-endpoint', { type: 'string', describe: 'ad-hoc job: source S3 endpoint URL' })
    .option('dest-endpoint', { type: 'string', describe: 'ad-hoc job: destination S3 endpoint URL' })
    .option('source-anonymous', { type: 'boolean', describe: 'ad-hoc job: read the source unsigned (public buckets)' })
    .option('include', { type: 'string', array: true, describe: 'only keys matching these globs (relative to the source prefix)' })
    .option('exclude', { type: 'string', array: true, describe: 'skip keys matching these globs' })
    // Typed as no options: the flags are the option table's, read back as SelectionOptions' job options.
    .options(jobOptionFlags() as Record<never, Options>)
    .option('json', { type: 'boolean', describe: 'NDJSON events on stdout instead of the task tree' })
    .option('verbose', { alias: 'v', type: 'boolean', describe: 'every item, and stacks on errors' })

/** sync, plan and verify can take one shard of their jobs (src/plan/shard.ts). */
const sharding = <T>(y: Argv<T>) =>
  y
    .option('shard', { type: 'string', describe: 'copy one part of each job: K/N (0-based), or auto from JOB_COMPLETION_INDEX (Kubernetes) or AWS_BATCH_JOB_ARRAY_INDEX' })
    .option('shard-count', { type: 'number', describe: 'N for --shard auto where the scheduler does not give it (default: LAKESYNC_SHARD_COUNT)' })
    .option('run-id', { type: 'string', describe: 'names the run its shards belong to, for `lakesync runs` (default: LAKESYNC_RUN_ID, the AWS Batch job id, or the jobs and the UTC day)' })

/** A flag for every job option, core and lakesync's own plugins'; yargs hands it over as the option's own (camelCase) name. */
function jobOptionFlags(): Record<string, Options> {
  return Object.fromEntries(Object.entries(FLAG_OPTIONS).map(([name, spec]: [string, OptionSpec]) => {
    const shape: Options = spec.type === 'choice' ? { choices: spec.choices } : { type: spec.type === 'integer' ? 'number' : spec.type === 'boolean' ? 'boolean' : 'string' }
    return [flagName(name).slice(2), { ...shape, describe: flagHelp(name, spec) }]
  }))
}

export function buildCli(argv: string[], signal: AbortSignal, setExit: (code: number) => void) {
  const done = (p: Promise<number>) => p.then(setExit)
  return yargs(argv)
    .scriptName('lakesync')
    .usage('$0 <command> [options]\n\nMirror a prefix of one S3 bucket into another, server-side where possible.')
    .command('sync [jobs..]', 'copy what is missing or changed at the destination', (y) =>
      sharding(selection(y))
        .option('dry-run', { type: 'boolean', describe: 'plan and print, copy nothing' })
        .option('metrics-file', { type: 'string', describe: "write the run's metrics here in Prometheus' text format (for node_exporter's textfile collector), also when it fails" })
        .option('pushgateway', { type: 'string', describe: "push the run's metrics to this Prometheus Pushgateway URL" })
        .option('wait-lock', { type: 'number', describe: 'wait up to this many seconds for a running run of a job to end (default: exit 5 at once)' })
        .option('prices', { type: 'string', describe: 'with --dry-run: a JSON price table for the cost line (default: S3 list prices; LAKESYNC_PRICES)' }), (a) =>
      done(sync({ ...a, command: 'sync', jobs: a.jobs, dryRun: a.dryRun, signal })))
    .command('plan [jobs..]', 'show what sync would copy and what it would cost; changes nothing', (y) =>
      sharding(selection(y)).option('prices', { type: 'string', describe: "a JSON price table for the cost of lakesync's route and of S3 Batch Operations' (default: S3 list prices; LAKESYNC_PRICES)" }), (a) =>
      done(sync({ ...a, command: 'plan', jobs: a.jobs, dryRun: true, listItems: true, signal })))
    .command('verify [jobs..]', 'compare the destination with the source and every zip with its .CHECKSUM sidecar; copies nothing', (y) => sharding(selection(y)), (a) =>
      done(verify({ ...a, command: 'verify', signal })))
    .command('bench [jobs..]', 'direct vs traditional (and s5cmd, aws, rclone where installed) on one sample; writes a report', (y) =>
      selection(y)
        .option('local', { type: 'boolean', describe: 'no cloud account: start a local S3 server (versitygw) and seed a Binance-layout sample' })
        .option('out', { type: 'string', describe: 'write report.json, report.md and report.svg here' })
        .option('rounds', { type: 'number', describe: 'rounds per mode, interleaved (default 3)' })
        .option('objects', { type: 'number', describe: 'sample size (default 100 with --local, else 200)' })
        .option('size', { type: 'string', describe: 'object size with --local, e.g. 5MB (default 1MB)' })
        .option('latency', { type: 'number', describe: '--local: simulated round-trip time in ms' })
        .option('bandwidth', { type: 'number', describe: '--local: simulated link bandwidth each way in Mbit/s, shared by all connections' }), (a) =>
      done(bench({ ...a, command: 'bench', signal })))
    .command('runs', 'list past runs and their outcome, from the run journals', (y) =>
      y.option('json', { type: 'boolean', describe: 'one JSON object per run' }).option('limit', { type: 'number', describe: 'how many (default 20)' })
        .option('prune', { type: 'boolean', describe: 'delete old run journals, keeping the newest --keep runs of each job' })
        .option('keep', { type: 'number', describe: 'with --prune: runs kept per job (default 30)' })
        .option('run-id', { type: 'string', describe: "one sharded run: its shards, the missing and the failed ones; exit 0 only when all ended ok" }), (a) => done(runs(a)))
    .command('init', 'write a starter lakesync.config.ts here', (y) =>
      y.option('force', { type: 'boolean', describe: 'replace an existing file' })
        .option('binance', { type: 'boolean', describe: 'a starter for the Binance archive: selector, checksums, Hive keys (commented out)' })
        .option('from-legacy', { type: 'string', describe: "convert the legacy tool's JSON config FILE; fields it cannot map are listed" }), (a) => done(init(a)))
    .command('batch-ops', "a job's direct copies for S3 Batch Operations (a backfill): the manifest and CreateJob, the job's status, its report", (y) =>
      batchOpsCommands(y, signal, done))
    .command('doctor [jobs..]', 'check s5cmd, endpoints, buckets and credentials; say which mode and engine a sync would use', selection, (a) =>
      done(doctor({ ...a, command: 'doctor', signal })))
    .example('$0 sync', 'run every job of ./lakesync.config.ts')
    .example('$0 plan daily', 'show what job "daily" would copy')
    .example('$0 sync --from s3://src/data/ --to s3://lake/raw/ --endpoint http://127.0.0.1:7070', 'an ad-hoc job on one endpoint')
    .epilogue(`Exit codes: ${EXIT_CODES.map((e) => `${e.code} ${e.word}`).join(', ')}.`)
    .demandCommand(1, 'name a command: sync, plan, verify, bench, runs, init, doctor or batch-ops')
    .strict()
    .version(VERSION)
    .help()
    // yargs renders the help on every run (it keeps it for the command); wrapping costs start-up,
    // so only when the help is shown.
    .wrap(argv.includes('--help') ? Math.min(110, process.stdout.columns || 100) : null)
    .fail((message, error) => {
      // yargs' messages span lines ("Invalid values:\n  Argument: ..."): one problem, one line.
      throw error ?? new ConfigError([message.replace(/\s*\n\s*/g, ' ')], 'see lakesync --help')
    })
    .parseAsync()
}

/**
 * A cause's stack for --verbose. A credential provider's message can carry what a
 * credential_process printed on stderr (a token, say): only its name and frames are shown.
 */
function verboseStack(cause: Error): string {
  const stack = String(cause.stack ?? cause)
  if (cause.name !== 'CredentialsProviderError') return stack
  const frames = stack.split('\n').filter((l) => /^\s+at /.test(l))
  return [`${cause.name}: (its message is not shown: credential providers may echo secrets)`, ...frames].join('\n')
}

export function reportError(error: unknown, verbose: boolean): number {
  if (error instanceof LakesyncError) {
    const lines = error instanceof ConfigError ? error.problems : [error.message]
    for (const l of lines) out.err(`lakesync: ${l}`)
    if (error.hint) out.err(`  hint: ${error.hint}`)
    if (verbose && error.cause instanceof Error) out.err(verboseStack(error.cause))
    return error.exitCode
  }
  out.err(`lakesync: ${describeS3Error(error)}`)
  if (verbose && error instanceof Error) out.err(String(error.stack))
  else out.err('  (run with --verbose for details)')
  return ExitCode.itemsFailed
}

export async function main() {
  registerEnvSecrets()
  discardOutputWhenClosed()
  const controller = new AbortController()
  // Every in-flight request listens on the run's signal.
  setMaxListeners(0, controller.signal)
  const signalled = stopOnSignals(controller)
  const argv = hideBin(process.argv)
  let code: number = ExitCode.ok
  try {
    await buildCli(argv, controller.signal, (c) => (code = c))
  } catch (error) {
    code = controller.signal.aborted ? ExitCode.interrupted : reportError(error, argv.includes('--verbose') || argv.includes('-v'))
  }
  const signal = signalled()
  if (signal) code = SIGNAL_EXIT[signal]
  // The summary and journal are written: nothing left (a keep-alive socket, a timer, a
  // retry's backoff) may hold the process after them.
  await new Promise((r) => process.stdout.write('', r))
  process.exit(code)
}

/**
 * `lakesync sync | head -3`: once the reader is gone, output is dropped and the run goes on to
 * its end (copies verified, journal closed, exit code as usual) instead of dying mid-copy.
 */
function discardOutputWhenClosed() {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error
      stream.write = ((_chunk: unknown, encoding?: unknown, callback?: unknown) => {
        const done = typeof encoding === 'function' ? encoding : callback
        if (typeof done === 'function') process.nextTick(done as () => void)
        return true
      }) as typeof stream.write
    })
  }
}

/** `lakesync batch-ops`: the hand-off (its default), `status` and `import`. */
function batchOpsCommands(y: Argv, signal: AbortSignal, done: (p: Promise<number>) => Promise<void>) {
  return (
    y
      .command('$0 [jobs..]', 'write the manifest of the planned copies (objects up to 5 GiB); --submit creates the job', (z) =>
        selection(z)
          .option('manifest', { type: 'string', demandOption: true, describe: 'where the CSV manifest goes: s3://bucket/prefix/' })
          .option('role-arn', { type: 'string', demandOption: true, describe: 'the IAM role the service copies with (its account runs the job)' })
          .option('report', { type: 'string', describe: 'where the completion report goes: s3://bucket/prefix/ (default: no report)' })
          .option('submit', { type: 'boolean', describe: 'create the job (without it, the CreateJob request is printed)' })
          .option('account-id', { type: 'string', describe: "the account that runs the job (default: the role's)" })
          .option('priority', { type: 'number', describe: 'the job priority (default 10)' })
          .option('control-endpoint', { type: 'string', describe: 'S3 Control endpoint URL (private links)' }), (a) =>
        done(batchOps().then((m) => m.handOff({ ...a, command: 'plan', signal }))))
      .command('status <jobId> [jobs..]', "the service's state of a Batch Operations job", (z) =>
        selection(z)
          .positional('jobId', { type: 'string', demandOption: true, describe: 'the JobId CreateJob returned' })
          .option('account-id', { type: 'string', describe: 'the account that runs the job' })
          .option('role-arn', { type: 'string', describe: "the job's role (its account, when --account-id is not given)" })
          .option('control-endpoint', { type: 'string', describe: 'S3 Control endpoint URL (private links)' }), (a) =>
        done(batchOps().then((m) => m.status({ ...a, command: 'plan', signal }))))
      .command('import <report> [jobs..]', 'a completion report (a file or s3://bucket/key) into a run journal', (z) =>
        selection(z).positional('report', { type: 'string', demandOption: true, describe: 'the report CSV' }), (a) =>
        done(batchOps().then((m) => m.importReport({ ...a, command: 'plan', signal }))))
  )
}
