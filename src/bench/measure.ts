import { readFile, readdir } from 'node:fs/promises'

/** Resident memory of this process plus its child processes (s5cmd), from /proc; this process alone elsewhere. */
export async function treeRss(pid = process.pid): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024
    let children = 0
    for (const task of await readdir(`/proc/${pid}/task`)) {
      const kids = (await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean)
      for (const kid of kids) children += await treeRss(Number(kid))
    }
    return rss + children
  } catch {
    return pid === process.pid ? process.memoryUsage().rss : 0
  }
}

/**
 * Samples the process tree's RSS every `everyMs` until stopped; returns the peak above the RSS
 * at the start. lakesync's modes run inside the bench process, whose RSS never falls back after
 * a mode: the absolute peak would be the bench's high-water mark, the same for every mode.
 * Peers run as child processes, so their whole tree is counted.
 */
export function rssSampler(everyMs = 50): { stop(): Promise<number> } {
  let peak = 0
  let running = true
  const start = treeRss()
  const loop = (async () => {
    await start
    while (running) {
      peak = Math.max(peak, await treeRss())
      await new Promise((r) => setTimeout(r, everyMs))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return Math.max(0, peak - (await start))
    },
  }
}

/** Requests in versitygw's access log (S3 server access log format): operation, bucket and key of each. */
export function parseAccessLog(text: string): { operation: string; bucket: string; key: string }[] {
  const out = []
  for (const line of text.split('\n')) {
    // owner bucket [time +zone] ip requester request-id operation key ...
    const m = /^\S+ (\S+) \[[^\]]*\] \S+ \S+ \S+ (\S+) (\S+) /.exec(line)
    if (m) out.push({ bucket: m[1]!, operation: m[2]!.replace(/^s3_/, ''), key: m[3]! })
  }
  return out
}

/** The server's own request count, by operation. */
export function countAccessLog(text: string): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const r of parseAccessLog(text)) counts[r.operation] = (counts[r.operation] ?? 0) + 1
  return counts
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : 0
}
