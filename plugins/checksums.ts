import type { Plugin } from '../src/index.ts'

/**
 * Verifies every copied zip against its `.CHECKSUM` sidecar (the same as `--verify checksum`):
 * server-side copies ask the server for the SHA-256 as it copies, traditional copies hash the
 * bytes as they stream. A mismatch fails the run with exit code 3, and the copy is deleted,
 * or moved under `quarantine` (a prefix in the destination bucket).
 */
export function checksums(options: { quarantine?: string } = {}): Plugin {
  return {
    name: 'lakesync:checksums',
    config: (config) => ({
      defaults: { ...config.defaults, verify: 'checksum', ...(options.quarantine ? { quarantine: options.quarantine } : {}) },
    }),
  }
}
