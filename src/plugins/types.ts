import type { UserConfig, ResolvedJob, Mode } from '../config/types.ts'
import type { ItemResult, JobSummary, LakesyncEvent } from '../run/events.ts'

/** A hook is a function, or `{ order, handler }` to run before or after its siblings. */
export type Hook<F extends (...args: any[]) => any> =
  | F
  | { order?: 'pre' | 'post' | null; handler: F }

export interface ModeDecision {
  mode: Exclude<Mode, 'auto'>
  reason: string
}

export interface ModeContext {
  job: ResolvedJob
  /** Both sides on one endpoint with one identity. */
  sameEndpoint: boolean
  s5cmdAvailable: boolean
}

export type ItemErrorAction = 'retry' | 'fallback' | 'fail'

export interface ItemErrorContext {
  job: ResolvedJob
  key: string
  error: unknown
  attempt: number
  mode: Exclude<Mode, 'auto'>
}

export interface PluginHooks {
  /** Sequential merge: each plugin may return a partial config merged over the previous one. */
  config: (config: UserConfig) => UserConfig | void | Promise<UserConfig | void>
  /** First non-null wins. */
  selectMode: (ctx: ModeContext) => ModeDecision | null | undefined | Promise<ModeDecision | null | undefined>
  /** First non-null wins. */
  onItemError: (
    ctx: ItemErrorContext,
  ) => ItemErrorAction | null | undefined | Promise<ItemErrorAction | null | undefined>
  /** Notify hooks: all run; their return values are ignored. */
  onEvent: (event: LakesyncEvent) => void | Promise<void>
  afterItem: (result: ItemResult) => void | Promise<void>
  afterJob: (summary: JobSummary) => void | Promise<void>
}

export type HookName = keyof PluginHooks

export type Hooks = { [K in HookName]?: Hook<PluginHooks[K]> }

export interface Plugin extends Hooks {
  name: string
  enforce?: 'pre' | 'post'
}
