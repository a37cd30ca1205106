import { readFileSync, statSync } from 'node:fs'
import { builtinModules, createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import vm from 'node:vm'
import { transform } from 'sucrase'

/** What `import ... from 'lakesync'` and `'lakesync/plugins'` give a config (the CLI passes the running lakesync's, also inside the single binary). */
export type LakesyncModules = Record<string, unknown>

const EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json']

/**
 * Loads a TypeScript or JavaScript config with no build step and nothing written to disk:
 * each file (the config and the relative modules it imports) has its types stripped and its
 * imports turned into requires (sucrase), then runs in this process. `lakesync` and
 * `lakesync/plugins` resolve to the running lakesync; node: modules and the team's own
 * packages resolve as usual from the config's folder.
 */
export function loadConfigModule(file: string, lakesyncModules: LakesyncModules): unknown {
  const modules = new Map<string, { exports: any }>()
  const load = (file: string): any => {
    const cached = modules.get(file)
    if (cached) return cached.exports
    const source = readFileSync(file, 'utf8')
    const module = { exports: {} as any }
    modules.set(file, module)
    if (file.endsWith('.json')) return (module.exports = JSON.parse(source))
    const ts = /\.[cm]?ts$/.test(file)
    const { code } = transform(source.replace(/\bimport\.meta\.(url|filename|dirname)\b/g, '__importMeta.$1'), {
      transforms: ts ? ['typescript', 'imports'] : ['imports'],
      filePath: file,
      production: true,
      keepUnusedImports: false,
    })
    const nodeRequire = createRequire(file)
    const require = (spec: string) => {
      if (spec in lakesyncModules) return lakesyncModules[spec]
      if (spec.startsWith('node:') || builtinModules.includes(spec)) return nodeRequire(spec)
      if (spec.startsWith('.') || path.isAbsolute(spec)) return load(resolveRelative(file, spec))
      return nodeRequire(spec)
    }
    const importMeta = { url: pathToFileURL(file).href, filename: file, dirname: path.dirname(file) }
    const fn = vm.compileFunction(code, ['exports', 'require', 'module', '__filename', '__dirname', '__importMeta'], { filename: file })
    fn(module.exports, require, module, file, path.dirname(file), importMeta)
    return module.exports
  }
  const exported = load(path.resolve(file))
  if (exported && typeof exported === 'object') {
    if ('default' in exported) return exported.default
    // A module with no exports at all exports nothing (not an empty config).
    if (!Object.keys(exported).length) throw new ExportsNothing()
  }
  if (exported === undefined) throw new ExportsNothing()
  return exported
}

export class ExportsNothing extends Error {
  constructor() {
    super('exports nothing; expected export default defineConfig({ jobs: {...} })')
  }
}

/** "./connections" or "./connections.js" → connections.ts (TypeScript's own resolution), or an index file. */
function resolveRelative(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec)
  const stem = base.replace(/\.[cm]?js$/, '')
  const candidates = [base, ...EXTENSIONS.map((e) => stem + e), ...EXTENSIONS.map((e) => path.join(base, `index${e}`))]
  for (const c of candidates) {
    try {
      if (statSync(c).isFile()) return c
    } catch {}
  }
  throw new Error(`cannot find module ${JSON.stringify(spec)} imported from ${path.basename(from)}`)
}
