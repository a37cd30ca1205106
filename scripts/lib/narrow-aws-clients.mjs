// esbuild plugin for the binary's bundle. A module the CLI loads lazily (each command is) makes
// esbuild keep and run everything an index it imports re-exports: for @aws-sdk/client-s3 that is
// all 113 commands, the aggregated client, paginators and waiters, evaluated on every start. Each
// importer instead gets a module that re-exports just the names it imports, from the files that
// define them. An importer this cannot read (a namespace or default import) gets the whole index.
import { readFile } from 'node:fs/promises'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'

const NAMESPACE = 'narrow-aws-client'
const CLIENTS = /^@aws-sdk\/client-s3(-control)?$/

export const narrowAwsClients = {
  name: NAMESPACE,
  setup(build) {
    build.onResolve({ filter: CLIENTS }, async (args) => {
      if (args.pluginData?.whole) return undefined
      const names = importedNames(await readFile(args.importer, 'utf8'), args.path)
      if (!names) return undefined
      const index = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { whole: true } })
      if (index.errors.length) return { errors: index.errors }
      return { path: `${args.path}?${names.join(',')}`, namespace: NAMESPACE, pluginData: { dir: path.dirname(index.path), names } }
    })
    build.onLoad({ filter: /.*/, namespace: NAMESPACE }, ({ pluginData: { dir, names } }) => ({
      contents: names.map((name) => `export { ${name} } from ${JSON.stringify(definingFile(dir, name))}`).join('\n'),
      loader: 'js',
      resolveDir: dir,
    }))
  },
}

/** The value names of an importer's `import { … } from '<spec>'` statements, or undefined when it imports otherwise. */
function importedNames(source, spec) {
  const quoted = `['"]${spec.replace(/[/-]/g, '\\$&')}['"]`
  const statements = [...source.matchAll(new RegExp(`(^|[;\\n])\\s*(import|export)\\b([^;'"]*?)from\\s*${quoted}`, 'g'))]
  const names = []
  for (const [, , keyword, clause] of statements) {
    if (/^\s*type\s*\{/.test(clause)) continue // erased
    const braces = keyword === 'import' && /^\s*\{([^}]*)\}\s*$/.exec(clause)
    if (!braces) return undefined
    for (const part of braces[1].split(',').map((p) => p.trim()).filter(Boolean)) {
      if (!part.startsWith('type ')) names.push(part.split(/\s+as\s+/)[0])
    }
  }
  return names.length ? [...new Set(names)].sort() : undefined
}

/** The file under the package's dist-es that defines `name`: its command, client, or model file; else the index. */
function definingFile(dir, name) {
  for (const candidate of [path.join(dir, 'commands', `${name}.js`), path.join(dir, `${name}.js`)]) if (existsSync(candidate)) return candidate
  const models = path.join(dir, 'models')
  const defines = new RegExp(`export\\s+(const|class|var|let|function)\\s+${name}\\b`)
  for (const file of existsSync(models) ? readdirSync(models) : []) if (defines.test(readFileSync(path.join(models, file), 'utf8'))) return path.join(models, file)
  return path.join(dir, 'index.js')
}
