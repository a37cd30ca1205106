import type { BenchReport } from '../src/index.ts'

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')

/** One horizontal bar chart per measure, stacked in one SVG a browser opens. */
export function benchSvg(r: BenchReport): string {
  const measures: { title: string; value: (m: BenchReport['modes'][number]) => number | undefined; unit: string }[] = [
    { title: 'Wall time, median (s) — lower is better', value: (m) => m.medianSeconds, unit: 's' },
    { title: 'Requests per object', value: (m) => m.requestsPerObject, unit: '' },
    { title: 'Bytes through this host per round (MB)', value: (m) => (m.bytesThroughHost === undefined ? undefined : m.bytesThroughHost / 1e6), unit: 'MB' },
    { title: 'Peak local disk (MB)', value: (m) => m.peakDiskBytes / 1e6, unit: 'MB' },
    { title: 'Memory the mode added: peak RSS of the process tree above its start (MB)', value: (m) => m.peakRssBytes / 1e6, unit: 'MB' },
  ]
  const width = 760
  const label = 170
  const bar = 20
  const colors = ['#2b6cb0', '#2f855a', '#c05621', '#9b2c2c', '#6b46c1', '#718096', '#b7791f']
  let y = 40
  const parts: string[] = [`<text x="10" y="24" font-size="16" font-weight="bold">${esc(`lakesync bench: ${r.parameters.objects} objects × ${Math.round(r.parameters.bytesPerObject / 1e3)} KB${r.parameters.wan ? `, WAN ${r.parameters.wan.rttMs} ms / ${r.parameters.wan.mbits} Mbit/s` : ''}`)}</text>`]
  for (const measure of measures) {
    parts.push(`<text x="10" y="${y + 14}" font-size="13" font-weight="bold">${esc(measure.title)}</text>`)
    y += 22
    const max = Math.max(...r.modes.map((m) => measure.value(m) ?? 0), 1e-9)
    r.modes.forEach((m, i) => {
      const v = measure.value(m)
      parts.push(`<text x="10" y="${y + 15}" font-size="12">${esc(m.mode)}</text>`)
      if (v === undefined) parts.push(`<text x="${label}" y="${y + 15}" font-size="12" fill="#718096">not measured</text>`)
      else {
        const w = Math.max(1, ((width - label - 90) * v) / max)
        parts.push(`<rect x="${label}" y="${y + 2}" width="${w.toFixed(1)}" height="${bar - 4}" fill="${colors[i % colors.length]}"/>`)
        parts.push(`<text x="${label + w + 6}" y="${y + 15}" font-size="12">${v >= 100 ? v.toFixed(0) : v.toFixed(2)}${measure.unit ? ` ${measure.unit}` : ''}</text>`)
      }
      y += bar
    })
    y += 14
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 10}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`
}
