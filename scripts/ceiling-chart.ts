// docs/bench/ceiling.svg from docs/bench/ceiling.json (written by scripts/bench-ceiling.ts --json):
// each tool's copies per second over time behind the S3-like limiter, and the limiter's ceiling.
// `npx tsx scripts/ceiling-chart.ts`
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { LimiterSecond } from '../src/bench/s3-limiter.ts'

const dir = path.resolve(import.meta.dirname, '../docs/bench')
const data = JSON.parse(readFileSync(path.join(dir, 'ceiling.json'), 'utf8')) as { objects: number; seconds: number; runs: { tool: string; seconds: LimiterSecond[] }[] }
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')
const COLORS = ['#2b6cb0', '#63b3ed', '#2c5282', '#c05621', '#dd6b20', '#2f855a', '#68d391', '#6b46c1']
const text = (x: number, y: number, s: string, o = 'font-size="12"') => `<text x="${x}" y="${y}" ${o}>${esc(s)}</text>`

/** Seconds averaged in threes: the per-second counts jitter with the long-tailed latency. */
const smooth = (xs: number[]) => xs.map((_, i) => {
  const window = xs.slice(Math.max(0, i - 1), i + 2)
  return window.reduce((a, b) => a + b, 0) / window.length
})

const [x0, x1, y0, y1, width] = [70, 640, 420, 60, 960]
// Up to the tools' time limit: a tool stopped there may drain for minutes, copying little.
const seconds = data.seconds + 10
const ceiling = Math.max(...data.runs.flatMap((r) => r.seconds.map((s) => s.ceiling)))
const top = ceiling * 1.15
const lx = (t: number) => x0 + (t / seconds) * (x1 - x0)
const ly = (v: number) => y0 - (v / top) * (y0 - y1)
const out = [
  text(10, 24, `Copies per second behind an S3-like ceiling (${data.objects.toLocaleString('en-US')} objects; each tool from a cold start)`, 'font-size="14" font-weight="bold"'),
  text(10, 42, 'the limiter: 503 SlowDown above its per-partition rate, log-normal round trips (median 100 ms); higher and steadier is better'),
  `<line x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}" stroke="#718096"/>`, `<line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y1}" stroke="#718096"/>`,
  `<line x1="${x0}" y1="${ly(ceiling).toFixed(1)}" x2="${x1}" y2="${ly(ceiling).toFixed(1)}" stroke="#e53e3e" stroke-dasharray="6 4"/>`,
  text(x1 - 110, ly(ceiling) - 6, `ceiling ${Math.round(ceiling)}/s`, 'font-size="12" fill="#e53e3e"'),
]
for (let t = 0; t <= data.seconds; t += 60) out.push(text(lx(t) - 10, y0 + 16, `${t} s`))
for (const v of [0, ceiling / 2, ceiling]) out.push(text(10, ly(v) + 4, `${Math.round(v)}/s`))
data.runs.forEach((r, i) => {
  const rates = smooth(r.seconds.slice(0, seconds + 1).map((s) => s.writesOk))
  const points = rates.map((v, t) => `${lx(t).toFixed(1)},${ly(v).toFixed(1)}`).join(' ')
  const color = COLORS[i % COLORS.length]
  out.push(`<polyline points="${points}" fill="none" stroke="${color}" stroke-width="${r.tool.startsWith('lakesync (') ? 2.5 : 1.5}"/>`)
  out.push(`<rect x="${x1 + 20}" y="${y1 + 20 + i * 18 - 10}" width="12" height="12" fill="${color}"/>`, text(x1 + 38, y1 + 20 + i * 18, r.tool))
})
writeFileSync(path.join(dir, 'ceiling.svg'), `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y0 + 30}" font-family="sans-serif">\n<rect width="${width}" height="${y0 + 30}" fill="white"/>\n${out.join('\n')}\n</svg>\n`)
