const secrets = new Set<string>()

/** Remembers a secret value so that `redact` hides it from every line lakesync prints. */
export function registerSecret(value: string | undefined) {
  if (value && value.length >= 4) secrets.add(value)
}

export function registerEnvSecrets(env = process.env) {
  for (const name of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN']) registerSecret(env[name])
}

export function redact(text: string): string {
  for (const s of secrets) if (text.includes(s)) text = text.split(s).join('***')
  return text.includes('://') ? maskUrlSecrets(text) : text
}

// The parts of an http(s) URL that carry credentials: the user info (user:password@) and the
// query's values (?token=…, a presigned URL's signature). Paths and s3:// URLs are left whole.
const USER_INFO = /\b(https?:\/\/)[^\s/?#@"'<>]*@/gi
const QUERY = /(\bhttps?:\/\/[^\s?#"'<>]*\?)([^\s#"'<>]*)/gi

/** `text` with the user info and query values of every http(s) URL in it masked. */
export function maskUrlSecrets(text: string): string {
  return text.replace(USER_INFO, '$1***@').replace(QUERY, (_, head: string, query: string) => head + query.replace(/=[^&;]*/g, '=***'))
}

/** Output sinks that never print a registered secret. */
export const out = {
  line: (text: string) => process.stdout.write(redact(text) + '\n'),
  err: (text: string) => process.stderr.write(redact(text) + '\n'),
}
