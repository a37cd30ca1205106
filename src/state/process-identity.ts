import { readFileSync, readlinkSync } from 'node:fs'
import { hostname } from 'node:os'

/**
 * Who a process is, as precisely as this host can tell: a pid alone is reused (after a reboot,
 * by a later process, and in every container as pid 1), so a record also names the boot, the
 * pid namespace and the process's start time. Fields this platform cannot read are left out
 * (no /proc on macOS): the checks below then fall back to what is known.
 */
export interface ProcessIdentity {
  pid: number
  host: string
  /** /proc/sys/kernel/random/boot_id: a new one at every boot. */
  bootId?: string
  /** /proc/self/ns/pid's inode: pids compare only within one namespace (a container has its own). */
  pidNs?: string
  /** Field 22 of /proc/PID/stat, in clock ticks since boot: a reused pid has a later one. */
  startTicks?: string
}

/** This process. */
export function thisProcess(): ProcessIdentity {
  const bootId = readText('/proc/sys/kernel/random/boot_id')?.trim()
  const pidNs = readLink('/proc/self/ns/pid')
  const startTicks = procStat(process.pid)?.startTicks
  return { pid: process.pid, host: hostname(), ...(bootId ? { bootId } : {}), ...(pidNs ? { pidNs } : {}), ...(startTicks ? { startTicks } : {}) }
}

/**
 * Whether the process a record names is still running: 'dead' and 'alive' only where this
 * process can see it (same host, boot and pid namespace); 'unknown' elsewhere (another host,
 * boot or container, which may share a host name), where only a lease can tell. A zombie (killed, never reaped, as under a pid 1
 * that reaps nothing) is dead; so is a live process whose start time differs (a reused pid).
 */
export function processState(p: Partial<ProcessIdentity>, me: ProcessIdentity = thisProcess()): 'alive' | 'dead' | 'unknown' {
  if (typeof p.pid !== 'number' || p.host !== me.host) return 'unknown'
  // A record from before these fields were kept: the pid is all there is, and a pid may be reused.
  if (p.bootId === undefined) return signalable(p.pid) ? 'unknown' : 'dead'
  // Another boot, or another container of one host name: nothing here can see that process.
  if (p.bootId !== me.bootId || p.pidNs !== me.pidNs) return 'unknown'
  const stat = procStat(p.pid)
  if (!stat) return me.startTicks === undefined && signalable(p.pid) ? 'alive' : 'dead'
  if (stat.state === 'Z' || stat.state === 'X') return 'dead'
  if (p.startTicks !== undefined && stat.startTicks !== p.startTicks) return 'dead'
  return 'alive'
}

/** Whether a process of this host and namespace runs (one we may not signal runs too). */
function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** A process's state letter and start time from /proc/PID/stat; its name (field 2) may hold spaces and parentheses, so fields are counted after the last ')'. */
function procStat(pid: number): { state: string; startTicks: string } | undefined {
  const text = readText(`/proc/${pid}/stat`)
  const rest = text?.slice(text.lastIndexOf(')') + 2).split(' ')
  // rest[0] is field 3 (state); field 22 (starttime) is rest[19].
  return rest && rest.length > 19 ? { state: rest[0]!, startTicks: rest[19]! } : undefined
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

function readLink(file: string): string | undefined {
  try {
    return readlinkSync(file)
  } catch {
    return undefined
  }
}
