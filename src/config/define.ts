import type { UserConfig } from '../api/config.ts'

export type ConfigExport = UserConfig | (() => UserConfig | Promise<UserConfig>)

/** Typed identity: gives a config file completion and checking, changes nothing. */
export function defineConfig(config: UserConfig): UserConfig
export function defineConfig(config: () => UserConfig | Promise<UserConfig>): () => UserConfig | Promise<UserConfig>
export function defineConfig(config: ConfigExport): ConfigExport {
  return config
}
