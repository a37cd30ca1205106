import { withPluginOptions } from '../api/options.ts'
import { BUILTIN_PLUGIN_OPTIONS } from '../../plugins/builtin-options.ts'

/** The options with a flag: the core ones and lakesync's own plugins' (built once, before any config loads). */
export const FLAG_OPTIONS = withPluginOptions(BUILTIN_PLUGIN_OPTIONS).table
