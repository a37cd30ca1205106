import { ExitCode } from '../api/errors.ts'
import { out } from '../util/redact.ts'

// 128 + the signal's number, as shells report it: SIGHUP is an SSH session closing.
export const SIGNAL_EXIT = { SIGHUP: 129, SIGINT: ExitCode.interrupted, SIGTERM: 143 } as const
export type StopSignal = keyof typeof SIGNAL_EXIT

let first: StopSignal | undefined

/** The exit code of an interrupted run: 128 + the first signal's number (130 for SIGINT, 143 SIGTERM, 129 SIGHUP). */
export function interruptExitCode(): number {
  return first ? SIGNAL_EXIT[first] : ExitCode.interrupted
}

/** What must still happen when the process ends at once: synchronous, quick, and never throwing. */
const lastWords = new Set<() => void>()

/** Registers `fn` to run if a second signal ends the process at once; the returned function unregisters it. */
export function atHardStop(fn: () => void): () => void {
  lastWords.add(fn)
  return () => lastWords.delete(fn)
}

/**
 * The first SIGINT, SIGTERM or SIGHUP aborts the run (`controller`): new work stops, requests in
 * flight are aborted, and the run ends with its summary and journal. A second one ends the
 * process at once, after the `atHardStop` work (the job locks released, the journal closed).
 * Returns the first signal received, if any.
 */
export function stopOnSignals(controller: AbortController): () => StopSignal | undefined {
  for (const name of Object.keys(SIGNAL_EXIT) as StopSignal[]) {
    process.on(name, () => {
      if (!first) {
        first = name
        out.err(`lakesync: ${name}: stopping (in-flight requests aborted, summary next); send it again to stop at once`)
        controller.abort()
        return
      }
      out.err(`lakesync: second ${name}: stopping at once; the locks are released, the journal closed, and the next run checks what was in flight`)
      for (const fn of lastWords) {
        try {
          fn()
        } catch {
          // the next step still runs
        }
      }
      process.exit(SIGNAL_EXIT[first])
    })
  }
  return () => first
}
