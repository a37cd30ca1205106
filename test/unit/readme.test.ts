import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { withGeneratedParts } from '../../scripts/lib/readme-parts.ts'

test('the README\'s option and exit-code tables are their tables\' own (regenerate with npx tsx scripts/docs.ts)', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  assert.equal(readme, withGeneratedParts(readme))
})
