import type { CopyNeeds, CopyToVerify, Hook, HookName, Plugin, PluginHooks, ResolvedJob, UserConfig, VerifyContext } from '../api/config.ts'
import { ConfigError, ExitCode, LakesyncError } from '../api/errors.ts'
import { validateConfig } from '../config/validate.ts'
import { deepMerge } from '../util/deep-merge.ts'

type Handler<K extends HookName> = { plugin: string; fn: PluginHooks[K] }

const rank = { pre: 0, undefined: 1, null: 1, post: 2 } as const

/** A plugin's hook threw: named, with exit code 1 (--verbose shows the hook's stack). */
export class PluginHookError extends LakesyncError {
  constructor(readonly plugin: string, readonly hook: string, cause: unknown) {
    super(`plugin "${plugin}" failed in ${hook}: ${(cause instanceof Error ? cause.message : String(cause)).split("\n")[0]}`, ExitCode.itemsFailed, undefined, { cause })
  }
}

/** What the `verifyCopy` hooks together made of one copy: its notes, and the phrases it is counted under. */
export type PluginVerdict =
  | { ok: true; note?: string; counted: string[] }
  | { ok: false; code: string; error: string; details?: Record<string, string>; plugin: string }

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

  /**
   * Each plugin's `config` patch, deep-merged over the config so far and then checked like the
   * user's own: a plugin that writes a bad value is named in the error (exit 2).
   */
  async mergeConfig(config: UserConfig): Promise<UserConfig> {
    let current = config
    for (const { plugin, fn } of this.handlers('config')) {
      const patch = await guard(plugin, 'config', () => fn(current))
      if (!patch) continue
      current = deepMerge(current, patch)
      const problems = validateConfig(current, this.plugins)
      if (problems.length) throw new ConfigError(problems.map((p) => `plugin "${plugin}" (its config hook) made the config wrong: ${p}`), `fix the plugin's options, or remove "${plugin}" from plugins`)
    }
    return current
  }

  async first<K extends 'selectMode' | 'selectEngine' | 'onItemError'>(
    name: K,
    ...args: Parameters<PluginHooks[K]>
  ): Promise<{ value: NonNullable<Awaited<ReturnType<PluginHooks[K]>>>; plugin: string } | undefined> {
    for (const { plugin, fn } of this.handlers(name)) {
      const value = await guard(plugin, name, () => (fn as any)(...args))
      if (value != null) return { value, plugin }
    }
    return undefined
  }

  /** What every copy of the job must return: what any plugin's `copyNeeds` asks for. */
  copyNeeds(job: ResolvedJob): CopyNeeds {
    const needs: CopyNeeds = {}
    for (const { plugin, fn } of this.handlers('copyNeeds')) {
      let asked
      try {
        asked = fn(job)
      } catch (error) {
        throw new PluginHookError(plugin, 'copyNeeds', error)
      }
      if (asked?.sha256) needs.sha256 = true
    }
    return needs
  }

  /** A copy through every `verifyCopy` hook in order, until one fails it; notes add up. */
  async verifyCopy(copy: CopyToVerify, ctx: VerifyContext): Promise<PluginVerdict> {
    let note = copy.note
    const counted: string[] = []
    for (const { plugin, fn } of this.handlers('verifyCopy')) {
      const verdict = await guard(plugin, 'verifyCopy', () => fn({ ...copy, ...(note ? { note } : {}) }, ctx))
      if (!verdict) continue
      if ('fail' in verdict) return { ok: false, ...verdict.fail, plugin }
      note = note ? `${note}; ${verdict.note}` : verdict.note
      if (verdict.counted) counted.push(verdict.counted)
    }
    return { ok: true, counted, ...(note ? { note } : {}) }
  }

  async notify<K extends 'configResolved' | 'onEvent' | 'afterItem' | 'afterJob'>(name: K, ...args: Parameters<PluginHooks[K]>) {
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
