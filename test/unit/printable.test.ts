import { test } from 'node:test'
import assert from 'node:assert/strict'
import { printableKey } from '../../src/util/printable.ts'
import { plainRenderer } from '../../src/report/render-plain.ts'

test('keys are printed with bidi controls and invisible characters escaped, so a line cannot be turned around', () => {
  assert.equal(printableKey('invoice\u202Egpj.exe'), '"invoice\\u202egpj.exe"')
  assert.equal(printableKey('a\u200Bb\u2066c\uFEFF'), '"a\\u200bb\\u2066c\\ufeff"')
  assert.equal(printableKey('line\nbreak "q" é 中'), '"line\\nbreak \\"q\\" é 中"')
  const lines: string[] = []
  plainRenderer((l) => lines.push(l))({ type: 'item', job: 'j', key: 'x\u202Ey', destKey: 'x\u202Ey', size: 1, action: 'failed', reason: 'e', error: 'boom' })
  assert.deepEqual(lines, ['j: FAILED "x\\u202ey": boom'])
  assert.ok(!lines[0]!.includes('\u202E'))
})
