/**
 * Endpoints are compared in one canonical form, so that two spellings of one server
 * (a trailing slash, `localhost` for 127.0.0.1, an upper-case host, the default port) are
 * never taken for two servers: that would let a prefix be copied into itself, and force
 * traditional copies where a server-side copy works.
 */
const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' }

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '')
  return h === 'localhost' || h.endsWith('.localhost') || /^127\./.test(h) || h === '::1' || /^::ffff:(127\.|7f[0-9a-f]{2}:)/.test(h)
}

/** `scheme://host:port/path` with the host lower-cased, loopback names as one, no trailing slash. */
export function canonicalEndpoint(endpoint: string | undefined): string {
  if (!endpoint) return 'aws'
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    return endpoint
  }
  const host = isLoopback(url.hostname) ? 'loopback' : url.hostname.toLowerCase()
  const port = url.port || DEFAULT_PORT[url.protocol] || ''
  return `${url.protocol}//${host}:${port}${url.pathname.replace(/\/+$/, '')}`
}

export const sameEndpointUrl = (a: string | undefined, b: string | undefined) => canonicalEndpoint(a) === canonicalEndpoint(b)

/** Whether a URL carries `user:password@`: a secret that would reach logs, journals and `ps`. */
export function hasUserinfo(endpoint: string): boolean {
  try {
    const url = new URL(endpoint)
    return Boolean(url.username || url.password)
  } catch {
    return /^[a-z]+:\/\/[^/]*@/i.test(endpoint)
  }
}

/** The URL with any userinfo replaced by ***, for messages about a bad endpoint. */
export function redactUserinfo(endpoint: string): string {
  return endpoint.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@')
}

/** The endpoint the AWS SDK takes from the environment when a connection names none, and the variable it came from. */
export function envEndpoint(env = process.env): { url: string; variable: string } | undefined {
  for (const variable of ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL']) if (env[variable]) return { url: env[variable]!, variable }
  return undefined
}

/** Where a connection's requests really go, for messages: its endpoint, else the environment's, else AWS S3. */
export function describeEndpoint(endpoint: string | undefined, env = process.env): string {
  if (endpoint) return endpoint
  const fromEnv = envEndpoint(env)
  return fromEnv ? `${redactUserinfo(fromEnv.url)} (from ${fromEnv.variable})` : 'AWS S3'
}

