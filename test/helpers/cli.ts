import { spawn } from 'node:child_process'
import { appendFileSync } from 'node:fs'
import { mkdir, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CLI, ROOT, TOOLS_BIN } from './paths.ts'
import { maskUrlSecrets } from '../../src/util/redact.ts'

const EXIT_AFTER_SUMMARY_MS = 1000

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
  /** When the signal was sent (performance.now()), and when the process closed. */
  signalledAt?: number
  closedAt: number
  pid?: number
}

/** Runs the real CLI from source in a child process, with only the AWS variables given. */
export function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string; pathWithTools?: boolean; signalAfterMs?: number; signalWhen?: () => Promise<boolean>; signal?: NodeJS.Signals; /** A command the CLI runs under, e.g. ['sh', '-c', 'ulimit -n 256 && exec "$@"', 'sh']. */ wrap?: string[]; /** A second signal once this holds of the output so far (a double Ctrl-C). */ againWhen?: (stdout: string, stderr: string) => boolean; onSpawn?: (pid: number) => void } = {}): Promise<CliResult> {
  const env: Record<string, string> = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_') && !k.startsWith('LAKESYNC_') && v !== undefined) env[k] = v
  // The suite's journals and outputs are kept where scripts/test.sh greps them for secrets.
  if (process.env.LAKESYNC_STATE_DIR) env.LAKESYNC_STATE_DIR = process.env.LAKESYNC_STATE_DIR
  if (options.pathWithTools) env.PATH = `${TOOLS_BIN}:${env.PATH}`
  Object.assign(env, options.env)
  return new Promise((resolve, reject) => {
    const [command, ...rest] = [...(options.wrap ?? []), process.execPath, '--import', import.meta.resolve('tsx'), CLI, ...args]
    const child = spawn(command!, rest, { cwd: options.cwd ?? ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    // When the last job summary was printed (plain, tree or --json): the process must be gone
    // within a second of it, whatever the command, so a handle left open fails every suite.
    let summaryAt: number | undefined
    child.stdout.on('data', (d) => {
      stdout += d
      if (/bytes through this host: |"type":"job-end"/.test(String(d))) summaryAt = performance.now()
    })
    child.stderr.on('data', (d) => (stderr += d))
    const signal = options.signal ?? 'SIGINT'
    let signalledAt: number | undefined
    const send = () => {
      signalledAt = performance.now()
      child.kill(signal)
      if (!options.againWhen) return
      // Signals sent back to back merge into one: the second goes once the first shows.
      const again = setInterval(() => options.againWhen!(stdout, stderr) && (clearInterval(again), child.kill(signal)), 20)
      child.on('close', () => clearInterval(again))
    }
    if (child.pid) options.onSpawn?.(child.pid)
    if (options.signalAfterMs) setTimeout(send, options.signalAfterMs)
    if (options.signalWhen) {
      // One check at a time, one signal at most: a second SIGINT would end lakesync at once, as it would a user's.
      let checking = false
      let sent = false
      const poll = setInterval(async () => {
        if (checking || sent) return
        checking = true
        if (child.exitCode === null && (await options.signalWhen!().catch(() => false))) (sent = true), clearInterval(poll), send()
        checking = false
      }, 20)
      child.on('close', () => clearInterval(poll))
    }
    child.on('error', reject)
    child.on('close', (code) => {
      logOutput(`lakesync ${args.join(' ')}`, stdout, stderr)
      const lingered = summaryAt === undefined ? 0 : performance.now() - summaryAt
      if (lingered > EXIT_AFTER_SUMMARY_MS) return reject(new Error(`lakesync ${args.join(' ')} exited ${Math.round(lingered)} ms after its summary (at most ${EXIT_AFTER_SUMMARY_MS} ms): a handle outlives the run`))
      resolve({ code, stdout, stderr, signalledAt, closedAt: performance.now(), pid: child.pid })
    })
  })
}

/** Adds a run's output to the suite's evidence, which scripts/test.sh searches for secrets. */
export function logOutput(command: string, stdout: string, stderr: string) {
  // The command line is the test's own (some type a secret into an endpoint on purpose); what is searched is lakesync's output.
  const typed = maskUrlSecrets(command.replace(/(\w+:\/\/)[^/@\s]*@/g, '$1***@'))
  if (process.env.LAKESYNC_TEST_OUTPUT_LOG) appendFileSync(process.env.LAKESYNC_TEST_OUTPUT_LOG, `$ ${typed}\n${stdout}${stderr}`)
}

/**
 * A state dir of a suite's own, inside the suite's evidence when scripts/test.sh runs it, so its
 * journals are searched for secrets like every other.
 */
export async function suiteStateDir(name: string): Promise<string> {
  const parent = process.env.LAKESYNC_STATE_DIR ? path.join(process.env.LAKESYNC_STATE_DIR, 'suites') : tmpdir()
  await mkdir(parent, { recursive: true })
  return mkdtemp(path.join(parent, `${name}-`))
}
