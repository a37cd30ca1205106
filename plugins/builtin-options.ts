import { CHECKSUM_OPTIONS } from './checksums-options.ts'

/**
 * The options of lakesync's own plugins, by plugin: the CLI builds its flags from these before a
 * config (and the plugins it lists) is loaded. A plugin of a config's own sets its options in the
 * config only. A unit test holds this list to the plugins' own `options`.
 */
export const BUILTIN_PLUGIN_OPTIONS = [{ name: 'lakesync:checksums', options: CHECKSUM_OPTIONS }]
