import { bytes } from '../report/format.ts'
import type { BenchReport } from '../api/bench-report.ts'

const mb = (n: number) => `${Math.round(n / 1e6)} MB`

/** The figures as a Markdown table (also the terminal table). */
export function benchTable(r: BenchReport): string[] {
  const rows = [
    '| mode | median s | min–max s | objects/s | MB/s | requests/object | requests per round | bytes through host | peak disk | RSS added | failures |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ]
  for (const m of r.modes) {
    const reqs = Object.entries(m.requests).map(([k, v]) => `${k} ${v}`).join(', ') || '—'
    rows.push(`| ${m.mode} | ${m.medianSeconds.toFixed(2)} | ${m.minSeconds.toFixed(2)}–${m.maxSeconds.toFixed(2)} | ${m.objectsPerSecond.toFixed(0)} | ${m.megabytesPerSecond.toFixed(1)} | ${m.requestsPerObject.toFixed(2)} | ${reqs} | ${m.bytesThroughHost === undefined ? '—' : bytes(m.bytesThroughHost)} | ${bytes(m.peakDiskBytes)} | ${mb(m.peakRssBytes)} | ${m.failures} |`)
  }
  return rows
}

export function benchParameters(r: BenchReport): string {
  const p = r.parameters
  const wan = p.wan ? `behind a simulated WAN link (${p.wan.rttMs} ms RTT, ${p.wan.mbits} Mbit/s each way)` : 'reached directly on loopback'
  return `${p.objects} objects of ${bytes(p.bytesPerObject)} (${bytes(p.totalBytes)}), ${p.rounds} rounds interleaved, concurrency ${p.concurrency}, S3 ${wan}; ` +
    `${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, ${r.machine.os}, Node ${r.machine.node}; ` +
    Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(', ')
}

export function benchMarkdown(r: BenchReport): string {
  return [
    `# lakesync bench — ${r.createdAt}`,
    '',
    `Command: \`${r.command}\``,
    '',
    benchParameters(r),
    '',
    ...benchTable(r),
    '',
    'Against the staged baseline (download to disk, then upload):',
    '',
    ...r.verdicts.map((v) => `- ${v}`),
    '',
    'Requests are counted where they are made (SDK middleware, s5cmd results); for peers, and for comparison, the S3 server\'s own access log is in report.json (`serverRequests`).',
    '',
    "RSS added: the peak resident memory of the process tree during a mode's runs, above what it was when each run started (sampled every 50 ms from /proc). lakesync's modes run inside the bench process, so this is the memory the mode itself added; peers run as child processes and count whole.",
    '',
  ].join('\n')
}
