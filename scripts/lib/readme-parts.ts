import { optionTable } from '../../src/api/options.ts'
import { BUILTIN_PLUGIN_OPTIONS } from '../../plugins/builtin-options.ts'
import { EXIT_CODES } from '../../src/api/errors.ts'
import { fieldTable } from '../../src/api/config-fields.ts'

/** The README's generated blocks: each between its markers, from its one source. */
const PARTS: { name: string; source: string; render: () => string }[] = [
  { name: 'fields', source: 'src/api/config-fields.ts', render: fieldTable },
  { name: 'options', source: 'src/api/options.ts and plugins/builtin-options.ts', render: () => optionTable(BUILTIN_PLUGIN_OPTIONS) },
  { name: 'exit-codes', source: 'src/api/errors.ts', render: () => ['| code | meaning |', '|---|---|', ...EXIT_CODES.map((e) => `| ${e.code} | ${e.meaning} |`)].join('\n') },
]

/** The README with its generated parts as their sources say now. */
export function withGeneratedParts(readme: string): string {
  let text = readme
  for (const part of PARTS) {
    const start = `<!-- ${part.name}:start (generated from ${part.source} by scripts/docs.ts) -->`
    const end = `<!-- ${part.name}:end -->`
    const from = text.indexOf(start)
    const to = text.indexOf(end)
    if (from < 0 || to < from) throw new Error(`README.md has no ${start} … ${end} block`)
    text = `${text.slice(0, from + start.length)}\n${part.render()}\n${text.slice(to)}`
  }
  return text
}
