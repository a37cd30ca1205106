/** Exit codes of the CLI contract (docs: README "Exit codes"). */
export const ExitCode = {
  ok: 0,
  itemsFailed: 1,
  usage: 2,
  verifyMismatch: 3,
  preflight: 4,
  /** Another run of the job holds its lock. */
  locked: 5,
  interrupted: 130,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/**
 * What each exit code means: in a word or two (`lakesync runs`), and in full (the README's table,
 * generated from this one by scripts/docs.ts). SIGHUP and SIGTERM end a run as 128 + their number.
 */
export const EXIT_CODES: readonly { code: number; word: string; meaning: string }[] = [
  { code: ExitCode.ok, word: 'ok', meaning: 'every object copied or skipped' },
  { code: ExitCode.itemsFailed, word: 'items failed', meaning: 'some objects failed (each is named)' },
  { code: ExitCode.usage, word: 'usage error', meaning: 'usage or config error' },
  { code: ExitCode.verifyMismatch, word: 'checksum mismatch', meaning: 'verification mismatch' },
  { code: ExitCode.preflight, word: 'preflight failed', meaning: 'preflight failure: endpoint unreachable, bucket missing, access refused' },
  { code: ExitCode.locked, word: 'job already running', meaning: 'a job is already running (another `sync` holds its lock; the line names its pid, host, start time and lock file), or another run took over this run\'s lock' },
  { code: 129, word: 'hung up (SIGHUP)', meaning: 'hung up (SIGHUP: an SSH session closing), after the same clean-up and summary as an interrupt' },
  { code: ExitCode.interrupted, word: 'interrupted', meaning: 'interrupted (SIGINT): copies in flight end, the summary and journal say what was done' },
  { code: 143, word: 'terminated (SIGTERM)', meaning: 'terminated (SIGTERM), after the same clean-up and summary as an interrupt' },
]

/** Each exit code in a word or two. */
export const EXIT_MEANING: Record<number, string> = Object.fromEntries(EXIT_CODES.map((e) => [e.code, e.word]))

/** An error the CLI knows how to report: one line of cause, plus hint, plus exit code. */
export class LakesyncError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = new.target.name
  }
}

/** Usage or config problems; several are reported together. */
export class ConfigError extends LakesyncError {
  constructor(readonly problems: string[], hint?: string, options?: { cause?: unknown }) {
    super(problems.join('\n'), ExitCode.usage, hint, options)
  }
}

export class PreflightError extends LakesyncError {
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, ExitCode.preflight, hint, options)
  }
}

export class InterruptedError extends LakesyncError {
  /** `exitCode`: 128 + the signal's number (SIGINT's 130 by default). */
  constructor(exitCode: number = ExitCode.interrupted) {
    super('interrupted', exitCode as ExitCode)
  }
}
