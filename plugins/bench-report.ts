import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Plugin } from '../src/index.ts'
import { benchMarkdown } from '../src/index.ts'
import { benchSvg } from './bench-svg.ts'

/** Writes a finished benchmark to `out` (or the bench command's --out): report.json, report.md, report.svg. */
export function benchReport(options: { out?: string } = {}): Plugin {
  return {
    name: 'lakesync:bench-report',
    async onEvent(event) {
      if (event.type !== 'bench-end') return
      const out = options.out ?? event.out
      if (!out) return
      await mkdir(out, { recursive: true })
      await writeFile(path.join(out, 'report.json'), JSON.stringify(event.report, null, 2) + '\n')
      await writeFile(path.join(out, 'report.md'), benchMarkdown(event.report))
      await writeFile(path.join(out, 'report.svg'), benchSvg(event.report))
    },
  }
}
