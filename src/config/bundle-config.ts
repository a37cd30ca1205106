import { build, type Plugin as EsbuildPlugin } from 'esbuild'
import { writeFile, rm } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import * as api from '../index.ts'
import * as plugins from '../../plugins/index.ts'

const API_KEY = Symbol.for('lakesync.api')
const modules: Record<string, Record<string, unknown>> = { lakesync: api, 'lakesync/plugins': plugins }

/**
 * `import ... from 'lakesync'` in a user config resolves to this running lakesync, not to a copy
 * in some node_modules: the single binary has none, and plugins must share one instance.
 */
const lakesyncModules: EsbuildPlugin = {
  name: 'lakesync-modules',
  setup(b) {
    b.onResolve({ filter: /^lakesync(\/plugins)?$/ }, (args) => ({ path: args.path, namespace: 'lakesync' }))
    b.onLoad({ filter: /.*/, namespace: 'lakesync' }, (args) => {
      const names = Object.keys(modules[args.path]!).filter((n) => n !== 'default')
      const lines = names.map((n) => `export const ${n} = m[${JSON.stringify(n)}];`)
      return { contents: `const m = globalThis[Symbol.for('lakesync.api')][${JSON.stringify(args.path)}];\n${lines.join('\n')}`, loader: 'js' }
    })
  },
}

/** Loads a TypeScript or JavaScript config with no build step: bundle its relative imports, then import it. */
export async function loadConfigModule(file: string): Promise<unknown> {
  ;(globalThis as any)[API_KEY] = modules
  const result = await build({
    entryPoints: [file],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    plugins: [lakesyncModules],
    logLevel: 'silent',
    sourcemap: 'inline',
  })
  // Written beside the config so the config's own bare imports resolve from its node_modules.
  const out = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.mjs`)
  await writeFile(out, result.outputFiles[0]!.text)
  try {
    const mod = await import(pathToFileURL(out).href)
    return mod.default
  } finally {
    await rm(out, { force: true })
  }
}
