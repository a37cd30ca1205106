/** A positive number of seconds from an environment variable, else the fallback. */
export function secondsFromEnv(name: string, fallback: number, env = process.env): number {
  const n = Number(env[name])
  return Number.isFinite(n) && n > 0 ? n : fallback
}
