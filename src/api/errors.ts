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

/** What each exit code means, in a word or two (`lakesync runs`). SIGHUP and SIGTERM end a run as 128 + their number. */
export const EXIT_MEANING: Record<number, string> = {
  [ExitCode.ok]: 'ok', [ExitCode.itemsFailed]: 'items failed', [ExitCode.usage]: 'usage error', [ExitCode.verifyMismatch]: 'checksum mismatch',
  [ExitCode.preflight]: 'preflight failed', [ExitCode.locked]: 'job already running', [ExitCode.interrupted]: 'interrupted', 129: 'hung up (SIGHUP)', 143: 'terminated (SIGTERM)',
}

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
