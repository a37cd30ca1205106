import type { OptionTable, ValuesOf } from '../src/index.ts'

/**
 * The job options the checksums plugin owns: a config's `defaults` and jobs may set them, and
 * each is a flag. A file of its own, with nothing but types imported, so the CLI reads it to
 * build its flags without loading the plugin (start-up).
 */
export const CHECKSUM_OPTIONS = {
  quarantine: { type: 'prefix', doc: 'with verify checksum: move a copy that fails its checksum under this destination prefix instead of deleting it' },
} as const satisfies OptionTable

// A config is typed for them: `quarantine` joins every job's options.
declare module '../src/index.ts' {
  interface PluginOptionValues extends ValuesOf<typeof CHECKSUM_OPTIONS> {}
}
