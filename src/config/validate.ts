import { parseS3Url } from './location.ts'
import { validateSelector } from '../sources/binance.ts'
import { hasUserinfo, redactUserinfo } from './endpoint.ts'
import { JOB_OPTIONS, withPluginOptions, type OptionSpec, type OptionTable } from '../api/options.ts'
import { CONNECTION_FIELDS, HOOK_NAMES, JOB_FIELDS, TOP_FIELDS } from '../api/config-fields.ts'
import { cutText } from '../util/printable.ts'

/**
 * Checks a user config and returns every problem at once, each as "field.path: what is wrong".
 * Job options are checked by the core table and the tables of the plugins the config lists and of
 * `plugins` (lakesync's own, which take part unlisted).
 */
export function validateConfig(raw: unknown, plugins: readonly { name: string; options?: OptionTable }[] = []): string[] {
  const problems: string[] = []
  const add = (path: string, message: string) => problems.push(`${path}: ${message}`)
  if (!isObject(raw)) return [`config: expected an object (export default defineConfig({...})), got ${describe(raw)}`]
  const listed = Array.isArray(raw.plugins) ? raw.plugins.filter((p) => isObject(p) && typeof p.name === 'string' && (p.options === undefined || isObject(p.options))) : []
  const { table, problems: clashes } = withPluginOptions([...plugins, ...listed])
  for (const clash of clashes) add('plugins', clash)

  unknownKeys(raw, Object.keys(TOP_FIELDS), '', add)
  const connections = raw.connections ?? {}
  if (!isObject(connections)) add('connections', `expected an object of named connections, got ${describe(connections)}`)
  else for (const [name, c] of Object.entries(connections)) checkConnection(c, `connections.${name}`, add)

  if (raw.defaults !== undefined) checkOptions(raw.defaults, 'defaults', add, table)
  if (raw.s5cmd !== undefined && typeof raw.s5cmd !== 'string') add('s5cmd', `expected a path string, got ${describe(raw.s5cmd)}`)
  if (raw.hooks !== undefined) checkHooks(raw.hooks, 'hooks', add)
  if (raw.plugins !== undefined) checkPlugins(raw.plugins, add)

  const jobs = raw.jobs
  if (jobs === undefined) return problems
  if (!isObject(jobs)) {
    add('jobs', `expected an object of named jobs, got ${describe(jobs)}`)
    return problems
  }
  const known = isObject(connections) ? new Set(Object.keys(connections)) : new Set<string>()
  for (const [name, job] of Object.entries(jobs)) {
    const path = `jobs.${name}`
    if (!isObject(job)) {
      add(path, `expected an object with source and destination, got ${describe(job)}`)
      continue
    }
    unknownKeys(job, [...Object.keys(JOB_FIELDS), ...Object.keys(table)], path, add)
    checkConnectionRef(job.connection, known, `${path}.connection`, add)
    if (isObject(job.source) && job.source.kind === 'binance') {
      for (const problem of validateSelector(job.source)) add(`${path}.source.${problem.split(':')[0]}`, problem.slice(problem.indexOf(':') + 2))
      checkConnectionRef(job.source.connection, known, `${path}.source.connection`, add)
    } else checkLocation(job.source, known, `${path}.source`, add)
    checkLocation(job.destination, known, `${path}.destination`, add)
    if (job.keyMap !== undefined && typeof job.keyMap !== 'function') add(`${path}.keyMap`, 'expected a function (key) => destination key, such as binance.hiveKeys()')
    else if (typeof job.keyMap === 'function' && job.keyMap.constructor?.name === 'AsyncFunction') {
      add(`${path}.keyMap`, 'an async function cannot be a keyMap: it is called once per key while the plan streams; return the destination key as a string')
    }
    for (const f of ['include', 'exclude'] as const) {
      const v = job[f]
      if (v !== undefined && !(Array.isArray(v) && v.every((g) => typeof g === 'string' && g !== ''))) {
        add(`${path}.${f}`, `expected an array of glob strings such as ["**/*.zip"], got ${describe(v)}`)
      }
    }
    checkOptions(job, path, add, table, false)
  }
  return problems
}

type Add = (path: string, message: string) => void

function checkOptions(o: unknown, path: string, add: Add, table: OptionTable, strict = true) {
  if (!isObject(o)) return add(path, `expected an object of job options, got ${describe(o)}`)
  if (strict) unknownKeys(o, Object.keys(table), path, add)
  for (const [key, spec] of Object.entries(table)) {
    const problem = o[key] === undefined ? undefined : optionProblem(spec, o[key])
    if (problem) add(`${path}.${key}`, `${problem}, got ${describe(o[key])}`)
  }
}

/** The problems of job options given on their own (CLI flags): each named by `name` (its flag). */
export function optionProblems(options: Record<string, unknown>, name: (option: string) => string, table: OptionTable = JOB_OPTIONS): string[] {
  return Object.entries(options).flatMap(([key, v]) => {
    const spec = table[key]
    const problem = spec && v !== undefined ? optionProblem(spec, v) : undefined
    return problem ? [`${name(key)}: ${problem}, got ${describe(v)}`] : []
  })
}

/** What is wrong with one option's value, by its entry in the option table. */
function optionProblem(spec: OptionSpec, v: unknown): string | undefined {
  switch (spec.type) {
    case 'choice':
      return spec.choices.includes(v as string) ? undefined : `expected one of ${spec.choices.join(', ')}`
    case 'integer':
      return Number.isInteger(v) && (v as number) >= spec.min && (v as number) <= spec.max ? undefined : `expected a whole number from ${spec.min} to ${spec.max}`
    case 'boolean':
      return typeof v === 'boolean' ? undefined : 'expected true or false'
    case 'prefix':
      return typeof v === 'string' && /^[^/].*\/$/.test(v) ? undefined : 'expected a prefix ending with "/", such as "quarantine/"'
  }
}

function checkConnection(c: unknown, path: string, add: Add) {
  if (!isObject(c)) return add(path, `expected a connection object, got ${describe(c)}`)
  unknownKeys(c, Object.keys(CONNECTION_FIELDS), path, add)
  if (typeof c.endpoint === 'string' && hasUserinfo(c.endpoint)) {
    add(`${path}.endpoint`, `${redactUserinfo(c.endpoint)}: an endpoint must not carry user:password (it would show in logs and process lists); remove it and give credentials through AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, or the connection's credentials`)
    return
  }
  for (const k of ['endpoint', 'region', 'profile', 'service'] as const) {
    if (c[k] !== undefined && (typeof c[k] !== 'string' || c[k] === '')) add(`${path}.${k}`, `expected a non-empty string, got ${describe(c[k])}`)
  }
  if (typeof c.endpoint === 'string' && c.endpoint && !/^https?:\/\/[^/\s]+/.test(c.endpoint)) {
    add(`${path}.endpoint`, `expected an http:// or https:// URL such as http://127.0.0.1:7070, got ${describe(c.endpoint)}`)
  }
  for (const k of ['anonymous', 'pathStyle'] as const) {
    if (c[k] !== undefined && typeof c[k] !== 'boolean') add(`${path}.${k}`, `expected true or false, got ${describe(c[k])}`)
  }
  const cred = c.credentials
  if (cred !== undefined) {
    // Never echo credential values: describe only their type.
    if (!isObject(cred) || typeof cred.accessKeyId !== 'string' || typeof cred.secretAccessKey !== 'string' || !cred.accessKeyId || !cred.secretAccessKey) {
      add(`${path}.credentials`, 'expected { accessKeyId, secretAccessKey } as non-empty strings (or omit it to use the AWS credential chain)')
    }
    if (c.anonymous === true) add(`${path}.credentials`, 'a connection cannot be anonymous and carry credentials; remove one of them')
  }
}

function checkLocation(loc: unknown, known: Set<string>, path: string, add: Add) {
  if (loc === undefined) return add(path, 'missing; expected s3://bucket/prefix/')
  const url = typeof loc === 'string' ? loc : isObject(loc) && loc.kind === 's3' ? loc.url : undefined
  if (url === undefined) return add(path, `expected s3://bucket/prefix/ or s3('s3://bucket/prefix/', {...}), got ${describe(loc)}`)
  const parsed = parseS3Url(url as string)
  if (typeof parsed === 'string') add(path, parsed)
  if (isObject(loc)) checkConnectionRef(loc.connection, known, `${path}.connection`, add)
}

function checkConnectionRef(ref: unknown, known: Set<string>, path: string, add: Add) {
  if (ref === undefined) return
  if (typeof ref !== 'string') return add(path, `expected a connection name, got ${describe(ref)}`)
  if (!known.has(ref)) add(path, `unknown connection "${ref}"; define it under connections (known: ${[...known].join(', ') || 'none'})`)
}

function checkPlugins(plugins: unknown, add: Add) {
  if (!Array.isArray(plugins)) return add('plugins', `expected an array of plugins, got ${describe(plugins)}`)
  plugins.forEach((p, i) => {
    if (!isObject(p) || typeof p.name !== 'string') return add(`plugins[${i}]`, 'expected a plugin object with a "name"')
    if (p.options === undefined) return
    if (!isObject(p.options)) return add(`plugins[${i}].options`, `expected an object of option entries, got ${describe(p.options)}`)
    for (const [name, spec] of Object.entries(p.options)) {
      const problem = specProblem(spec)
      if (problem) add(`plugins[${i}].options.${name}`, problem)
    }
  })
}

/** What is wrong with a plugin's option entry: the shapes of the core table's (api/options.ts). */
function specProblem(spec: unknown): string | undefined {
  if (!isObject(spec) || typeof spec.doc !== 'string' || !spec.doc) return 'expected { type, doc, ... } with a text in doc'
  switch (spec.type) {
    case 'choice': return Array.isArray(spec.choices) && spec.choices.length && spec.choices.every((c) => typeof c === 'string') ? undefined : 'a choice needs choices: a non-empty array of strings'
    case 'integer': return Number.isInteger(spec.min) && Number.isInteger(spec.max) && (spec.min as number) <= (spec.max as number) ? undefined : 'an integer needs whole numbers min <= max'
    case 'boolean':
    case 'prefix': return undefined
    default: return `expected type choice, integer, boolean or prefix, got ${describe(spec.type)}`
  }
}

function checkHooks(hooks: unknown, path: string, add: Add) {
  if (!isObject(hooks)) return add(path, `expected an object of hook functions, got ${describe(hooks)}`)
  const names: string[] = HOOK_NAMES
  unknownKeys(hooks, names, path, add)
  for (const [k, h] of Object.entries(hooks)) {
    if (names.includes(k) && typeof h !== 'function' && !(isObject(h) && typeof h.handler === 'function')) {
      add(`${path}.${k}`, 'expected a function or { order, handler }')
    }
  }
}

function unknownKeys(o: Record<string, unknown>, allowed: string[], path: string, add: Add) {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) add(path ? `${path}.${k}` : k, `unknown field; expected one of ${allowed.join(', ')}`)
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? cutText(v, 77) + '...' : v)
  if (typeof v === 'object') return 'an object'
  return `${typeof v === 'function' ? 'a function' : String(v)}`
}
