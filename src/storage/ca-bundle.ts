import { readFileSync } from 'node:fs'
import { ConfigError } from '../api/errors.ts'

let loaded: { path: string; ca: string } | undefined

/**
 * The certificates AWS_CA_BUNDLE names, as the AWS CLI and s5cmd read it: when set, TLS
 * connections to S3 trust these (a corporate proxy's CA, a private S3's) instead of Node's
 * built-in list. Read once per process. Unset: Node's list (plus NODE_EXTRA_CA_CERTS).
 */
export function caBundle(env = process.env): { ca: string } | undefined {
  const file = env.AWS_CA_BUNDLE
  if (!file) return undefined
  if (loaded?.path !== file) {
    try {
      loaded = { path: file, ca: readFileSync(file, 'utf8') }
    } catch (error) {
      throw new ConfigError([`AWS_CA_BUNDLE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`], 'point AWS_CA_BUNDLE at a PEM file of CA certificates, or unset it to trust Node\'s built-in list')
    }
    if (!loaded.ca.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError([`AWS_CA_BUNDLE: ${file} holds no PEM certificate`], 'point AWS_CA_BUNDLE at a PEM file of CA certificates, or unset it')
  }
  return { ca: loaded.ca }
}
