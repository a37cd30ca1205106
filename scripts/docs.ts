// Writes the generated parts of the README from their one source each: the config's fields
// (src/api/config-fields.ts), the option table (src/api/options.ts) and the exit codes
// (src/api/errors.ts), each between its markers (scripts/lib/readme-parts.ts).
// `npx tsx scripts/docs.ts` writes them; `--check` exits 1 when the README is out of date (the
// unit suite checks the same).
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { withGeneratedParts } from './lib/readme-parts.ts'

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } })
const file = path.resolve(import.meta.dirname, '../README.md')
const now = readFileSync(file, 'utf8')
const wanted = withGeneratedParts(now)
if (values.check) {
  if (now !== wanted) (console.error('README.md: a generated table is out of date: run npx tsx scripts/docs.ts'), (process.exitCode = 1))
} else if (now !== wanted) writeFileSync(file, wanted)
