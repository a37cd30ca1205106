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
  /** Both sides on one endpoint (a server-side copy is possible at all). */
  sameEndpoint: boolean
  /** Both sides use one identity, so the copy reads the source as the listing does: no probe needed. */
  sameIdentity: boolean
  s5cmdAvailable: boolean
  probe: {
    /** Whether the destination's identity may read the source (a server-side copy needs that). */
    destinationCanReadSource(): Promise<boolean>
  }
}

export type ItemErrorAction = 'retry' | 'fallback' | 'fail'

export interface ItemErrorContext {
  job: ResolvedJob
  key: string
  /** One line describing the failure. */
  error: string
  /** S3 error code (AccessDenied, SlowDown, NotImplemented, ...) or network code. */
  code?: string
  status?: number
  /** The engine that failed: s5cmd, sdk (direct) or stream, staged (traditional). */
  engine: string
  /** Earlier attempts of this item. */
  attempt: number
  /** The mode the job runs in, and the one its config asked for (auto allows falling back). */
  mode: Exclude<Mode, 'auto'>
  requestedMode: Mode
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
