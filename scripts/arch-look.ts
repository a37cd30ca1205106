// The architecture's shape in figures, for before/after notes: folders that import each other
// (back arrows), file import cycles, the longest functions, the largest classes, and the
// parameters that take the whole resolved job (a stage should take the narrow inputs it uses).
// `npx tsx scripts/arch-look.ts [--top 10]` over src/ and plugins/.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import ts from 'typescript'

const { values } = parseArgs({ options: { top: { type: 'string', default: '10' } } })
const top = Number(values.top)
const root = path.resolve(import.meta.dirname, '..')

const files = ['src', 'plugins'].flatMap((dir) => readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f)))
/** A file's folder: src/<stage> (src/index.ts is its own), or plugins. */
const folderOf = (file: string) => (file.startsWith('plugins') ? 'plugins' : path.dirname(file).split(path.sep).slice(0, 2).join('/'))

const imports = new Map<string, string[]>()
const functions: { name: string; lines: number }[] = []
const classes: { name: string; lines: number; members: number }[] = []
/** Parameters (and fields of parameter objects) typed as the whole `ResolvedJob`, by folder. */
const wholeJob = new Map<string, string[]>()
for (const file of files) {
  const text = readFileSync(path.join(root, file), 'utf8')
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const lines = (n: ts.Node) => source.getLineAndCharacterOfPosition(n.getEnd()).line - source.getLineAndCharacterOfPosition(n.getStart()).line + 1
  const targets: string[] = []
  const visit = (node: ts.Node, owner: string) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) && node.moduleSpecifier.text.startsWith('.')) {
      targets.push(path.normalize(path.join(path.dirname(file), node.moduleSpecifier.text)))
    }
    if ((ts.isParameter(node) || ts.isPropertySignature(node)) && node.type && ts.isTypeReferenceNode(node.type) && node.type.typeName.getText(source) === 'ResolvedJob' && !file.startsWith(path.join('src', 'api'))) {
      const at = wholeJob.get(folderOf(file)) ?? []
      const holder = (node.parent as ts.Node & { name?: ts.Node }).name?.getText(source) ?? '(anonymous)'
      wholeJob.set(folderOf(file), [...at, `${path.basename(file)} ${owner}${holder}(${node.name.getText(source)})`])
    }
    if (ts.isClassDeclaration(node)) classes.push({ name: `${file} ${node.name?.text ?? '(anonymous)'}`, lines: lines(node), members: node.members.length })
    const named = ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) ? node.name?.getText(source) : ts.isVariableDeclaration(node) && node.initializer && (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer)) ? node.name.getText(source) : undefined
    if (named && (ts.isVariableDeclaration(node) || (node as ts.FunctionLikeDeclaration).body)) functions.push({ name: `${file} ${owner}${named}`, lines: lines(node) })
    ts.forEachChild(node, (child) => visit(child, ts.isClassDeclaration(node) ? `${node.name?.text}.` : owner))
  }
  visit(source, '')
  imports.set(file, targets)
}

const arrows = new Set<string>()
for (const [file, targets] of imports) for (const t of targets) if (folderOf(file) !== folderOf(t)) arrows.add(`${folderOf(file)} -> ${folderOf(t)}`)
const backArrows = [...arrows].filter((a) => a.split(' -> ')[0]! < a.split(' -> ')[1]! && arrows.has(a.split(' -> ').reverse().join(' -> ')))

/** Files in an import cycle (strongly connected components of more than one file). */
function cycles(): string[][] {
  let index = 0
  const at = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>(), found: string[][] = []
  const strong = (v: string) => {
    at.set(v, index), low.set(v, index++), stack.push(v), on.add(v)
    for (const w of imports.get(v) ?? []) {
      if (!imports.has(w)) continue
      if (!at.has(w)) strong(w), low.set(v, Math.min(low.get(v)!, low.get(w)!))
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, at.get(w)!))
    }
    if (low.get(v) === at.get(v)) {
      const part: string[] = []
      for (let w = stack.pop()!; ; w = stack.pop()!) {
        on.delete(w), part.push(w)
        if (w === v) break
      }
      if (part.length > 1) found.push(part)
    }
  }
  for (const v of imports.keys()) if (!at.has(v)) strong(v)
  return found
}

console.log(`files: ${files.length}, folders: ${new Set(files.map(folderOf)).size}, folder arrows: ${arrows.size}`)
console.log(`folder pairs importing each other: ${backArrows.length}`)
for (const a of backArrows) console.log(`  ${a.replace(' -> ', ' <-> ')}`)
const found = cycles()
console.log(`file import cycles: ${found.length}`)
for (const c of found) console.log(`  ${c.join(' -> ')}`)
console.log(`longest functions:`)
for (const f of functions.sort((a, b) => b.lines - a.lines).slice(0, top)) console.log(`  ${String(f.lines).padStart(4)}  ${f.name}`)
console.log(`largest classes (lines, members):`)
for (const c of classes.sort((a, b) => b.lines - a.lines).slice(0, top)) console.log(`  ${String(c.lines).padStart(4)} ${String(c.members).padStart(3)}  ${c.name}`)
const takers = [...wholeJob.values()].flat().length
console.log(`parameters and context fields typed as the whole ResolvedJob, outside src/api: ${takers}`)
for (const [folder, names] of [...wholeJob].sort((a, b) => b[1].length - a[1].length)) console.log(`  ${String(names.length).padStart(3)}  ${folder}: ${names.join(', ')}`)
