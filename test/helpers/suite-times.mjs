// A node:test reporter that prints, at the end of a run, each test file's time (the sum of its
// top-level tests and suites) and the run's wall time, so the cost of a suite shows in every CI log.
import path from 'node:path'

export default async function* suiteTimes(source) {
  const started = performance.now()
  const perFile = new Map()
  for await (const event of source) {
    if ((event.type !== 'test:pass' && event.type !== 'test:fail') || event.data.nesting !== 0 || !event.data.file) continue
    const file = path.relative(process.cwd(), event.data.file)
    perFile.set(file, (perFile.get(file) ?? 0) + (event.data.details?.duration_ms ?? 0))
  }
  const rows = [...perFile].sort((a, b) => b[1] - a[1])
  yield `# suite times (${rows.length} files, slowest first; files run two at a time, so they add up to more than the wall time):\n`
  for (const [file, ms] of rows) yield `#   ${(ms / 1000).toFixed(1).padStart(7)} s  ${file}\n`
  yield `# wall time: ${((performance.now() - started) / 1000).toFixed(1)} s\n`
}
