// docs/bench/current.svg from docs/bench/current.json (the figures docs/BENCHMARKS.md quotes):
// the peer table as bars, and the archive-scale curve (log-scaled keys). `npx tsx scripts/benchmarks-chart.ts`
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

const dir = path.resolve(import.meta.dirname, '../docs/bench')
const data = JSON.parse(readFileSync(path.join(dir, 'current.json'), 'utf8')) as {
  peers: { title: string; unit: string; rows: { tool: string; loopback: number; rtt100: number }[] }
  scale: { title: string; keys: number[]; series: { tool: string; seconds: number[] }[] }
}
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')
const COLORS = ['#2b6cb0', '#c05621', '#2f855a', '#6b46c1']
const text = (x: number, y: number, s: string, o = 'font-size="12"') => `<text x="${x}" y="${y}" ${o}>${esc(s)}</text>`

/** Bars: each tool's CPU per object on loopback and behind a 100 ms round trip. */
function peers(top: number): string[] {
  const { rows } = data.peers
  const max = Math.max(...rows.flatMap((r) => [r.loopback, r.rtt100]))
  const out = [text(10, top, data.peers.title, 'font-size="14" font-weight="bold"'), text(10, top + 18, 'darker: loopback; lighter: behind a 100 ms round trip; lower is better')]
  rows.forEach((r, i) => {
    const y = top + 34 + i * 40
    out.push(text(10, y + 14, r.tool))
    for (const [j, v] of [r.loopback, r.rtt100].entries()) {
      const w = (420 * v) / max
      out.push(`<rect x="250" y="${y + j * 16}" width="${w.toFixed(1)}" height="14" fill="${COLORS[i % COLORS.length]}" fill-opacity="${j ? 0.5 : 1}"/>`, text(256 + w, y + 11 + j * 16, `${v.toFixed(2)} ms`))
    }
  })
  return out
}

/** Lines: wall seconds of the daily increment against the archive's keys, x on a log scale. */
function scale(top: number): string[] {
  const { keys, series } = data.scale
  const [x0, x1, y0, y1] = [90, 620, top + 240, top + 40]
  const max = Math.max(...series.flatMap((s) => s.seconds))
  const lx = (k: number) => x0 + ((Math.log10(k) - Math.log10(keys[0]!)) / (Math.log10(keys.at(-1)!) - Math.log10(keys[0]!))) * (x1 - x0)
  const ly = (s: number) => y0 - (s / max) * (y0 - y1)
  const out = [text(10, top + 14, data.scale.title, 'font-size="14" font-weight="bold"'), `<line x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}" stroke="#718096"/>`, `<line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y1}" stroke="#718096"/>`]
  for (const k of keys) out.push(text(lx(k) - 20, y0 + 16, `${k.toLocaleString('en-US')} keys`))
  for (const s of [0, max / 2, max]) out.push(text(10, ly(s) + 4, `${s.toFixed(0)} s`))
  series.forEach((s, i) => {
    const points = s.seconds.map((v, j) => `${lx(keys[j]!).toFixed(1)},${ly(v).toFixed(1)}`).join(' ')
    out.push(`<polyline points="${points}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"/>`)
    // Values at the largest archive only: at the smallest the lines meet and their labels would too.
    s.seconds.forEach((v, j) => out.push(`<circle cx="${lx(keys[j]!).toFixed(1)}" cy="${ly(v).toFixed(1)}" r="3" fill="${COLORS[i % COLORS.length]}"/>`, ...(j === s.seconds.length - 1 ? [text(lx(keys[j]!) + 8, ly(v) + 4, `${v} s`)] : [])))
    out.push(`<rect x="${x0 + 10}" y="${y1 + i * 18 - 10}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`, text(x0 + 28, y1 + i * 18, s.tool))
  })
  return out
}

const body = [...peers(24), ...scale(230)]
writeFileSync(path.join(dir, 'current.svg'), `<svg xmlns="http://www.w3.org/2000/svg" width="760" height="520" font-family="sans-serif">\n<rect width="760" height="520" fill="white"/>\n${body.join('\n')}\n</svg>\n`)
