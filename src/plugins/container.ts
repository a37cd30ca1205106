import type { Hook, HookName, Plugin, PluginHooks, UserConfig } from '../api/config.ts'
import { ExitCode, LakesyncError } from '../api/errors.ts'

type Handler<K extends HookName> = { plugin: string; fn: PluginHooks[K] }

const rank = { pre: 0, undefined: 1, null: 1, post: 2 } as const

/** A plugin's hook threw: named, with exit code 1 (--verbose shows the hook's stack). */
export class PluginHookError extends LakesyncError {
  constructor(readonly plugin: string, readonly hook: string, cause: unknown) {
    super(`plugin "${plugin}" failed in ${hook}: ${(cause instanceof Error ? cause.message : String(cause)).split("\n")[0]}`, ExitCode.itemsFailed, undefined, { cause })
  }
}

/** Holds plugins in run order and calls their hooks by kind (merge, first-non-null, notify). */
export class PluginContainer {
  readonly plugins: readonly Plugin[]
  private readonly sorted = new Map<HookName, Handler<any>[]>()

  constructor(plugins: readonly Plugin[]) {
    this.plugins = [...plugins].sort((a, b) => rank[`${a.enforce}`] - rank[`${b.enforce}`])
  }

  /** Handlers of one hook, sorted once: plugin order, then each hook's own `order`. */
  handlers<K extends HookName>(name: K): Handler<K>[] {
    let list = this.sorted.get(name)
    if (!list) {
      const entries = this.plugins
        .filter((p) => p[name])
        .map((p) => {
          const hook = p[name] as Hook<PluginHooks[K]>
          return typeof hook === 'function'
            ? { plugin: p.name, fn: hook, order: undefined }
            : { plugin: p.name, fn: hook.handler, order: hook.order }
        })
      list = entries.sort((a, b) => rank[`${a.order}`] - rank[`${b.order}`]).map(({ plugin, fn }) => ({ plugin, fn }))
      this.sorted.set(name, list)
    }
    return list
  }

  has(name: HookName): boolean {
    return this.handlers(name).length > 0
  }

  async mergeConfig(config: UserConfig): Promise<UserConfig> {
    let current = config
    for (const { plugin, fn } of this.handlers('config')) {
      const patch = await guard(plugin, 'config', () => fn(current))
      if (patch) current = { ...current, ...patch }
    }
    return current
  }

  async first<K extends 'selectMode' | 'onItemError'>(
    name: K,
    ...args: Parameters<PluginHooks[K]>
  ): Promise<{ value: NonNullable<Awaited<ReturnType<PluginHooks[K]>>>; plugin: string } | undefined> {
    for (const { plugin, fn } of this.handlers(name)) {
      const value = await guard(plugin, name, () => (fn as any)(...args))
      if (value != null) return { value, plugin }
    }
    return undefined
  }

  async notify<K extends 'onEvent' | 'afterItem' | 'afterJob'>(name: K, ...args: Parameters<PluginHooks[K]>) {
    for (const { plugin, fn } of this.handlers(name)) {
      await guard(plugin, name, () => (fn as any)(...args))
    }
  }
}

async function guard<T>(plugin: string, hook: string, call: () => T | Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw new PluginHookError(plugin, hook, error)
  }
}
