import type { ConfigContext, UserConfig } from '../api/config.ts'

export type ConfigFunction = (context: ConfigContext) => UserConfig | Promise<UserConfig>
export type ConfigExport = UserConfig | ConfigFunction

/**
 * Typed identity: gives a config file completion and checking, changes nothing. A function
 * gets `{ command, env }`, so one file can hold dev, staging and production settings.
 */
export function defineConfig(config: UserConfig): UserConfig
export function defineConfig(config: ConfigFunction): ConfigFunction
export function defineConfig(config: ConfigExport): ConfigExport {
  return config
}
