/** A positive number of seconds from an environment variable, else the fallback. */
export function secondsFromEnv(name: string, fallback: number, env = process.env): number {
  const n = Number(env[name])
  return Number.isFinite(n) && n > 0 ? n : fallback
}

/**
 * How long a run lets anything go without progress before it says so and acts:
 * LAKESYNC_STALL_SECONDS (default 300). A narrower variable (the socket timeout, s5cmd's
 * watchdog) wins for its own guard.
 */
export function stallSeconds(specific?: string, env = process.env): number {
  const all = secondsFromEnv('LAKESYNC_STALL_SECONDS', 300, env)
  return specific ? secondsFromEnv(specific, all, env) : all
}
