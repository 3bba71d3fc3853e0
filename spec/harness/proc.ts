/**
 * Process-table reads from /proc. A process is identified by its pid *and* its start time (field
 * 22 of /proc/<pid>/stat): pids are reused, so a pid alone never proves that a process is the one a
 * test started. A zombie still answers kill(pid, 0), so liveness is read from the state, never
 * from signals.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcEntry {
  pid: number;
  ppid: number;
  /** One-letter state: R, S, D, Z, T, ... */
  state: string;
  /** Start time in clock ticks since boot: with the pid, the process's identity. */
  startTime: number;
  cmd: string;
}

/** Who a process is: the pid plus the start time it had when the kit first saw it. */
export interface ProcessId {
  pid: number;
  startTime: number;
}

/** Parses /proc/<pid>/stat; null when the pid does not exist (any more). */
export function readProc(pid: number): ProcEntry | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command sits in parentheses and may itself contain spaces or parentheses.
  const close = stat.lastIndexOf(')');
  const cmd = stat.slice(stat.indexOf('(') + 1, close);
  const fields = stat.slice(close + 2).split(' ');
  // After the command: state is field 3 of the man page, ppid 4, starttime 22.
  return { pid, ppid: Number(fields[1]), state: fields[0] ?? '?', startTime: Number(fields[19]), cmd };
}

/** The identity of a running (or zombie) pid now; null when it does not exist. */
export function identify(pid: number): ProcessId | null {
  const entry = readProc(pid);
  return entry ? { pid, startTime: entry.startTime } : null;
}

/** The entry of exactly this process, or null once it is gone (or its pid now belongs to another). */
export function lookup(id: ProcessId): ProcEntry | null {
  const entry = readProc(id.pid);
  return entry && entry.startTime === id.startTime ? entry : null;
}

/**
 * Has this process ended? Gone, replaced by a newer process with the same pid, or a zombie whose
 * threads have all exited. (A multi-threaded process's leader shows Z as soon as its own thread
 * exits, while the others are still tearing down: a Node process for a millisecond or two. The
 * parent is told, SIGCHLD, only when the last one is gone.)
 */
export function hasEnded(id: ProcessId): boolean {
  const entry = lookup(id);
  if (entry === null) return true;
  if (entry.state !== 'Z') return false;
  try {
    return readdirSync(`/proc/${id.pid}/task`).length <= 1;
  } catch {
    return true; // reaped in between
  }
}

export function allProcesses(): ProcEntry[] {
  const out: ProcEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const entry = readProc(Number(name));
    if (entry) out.push(entry);
  }
  return out;
}

/** Every process below `root` in the tree (children, grandchildren, ...), zombies included. */
export function descendants(root: number): ProcEntry[] {
  const table = allProcesses();
  const found: ProcEntry[] = [];
  let frontier = new Set([root]);
  while (frontier.size > 0) {
    const next = table.filter((p) => frontier.has(p.ppid));
    found.push(...next);
    frontier = new Set(next.map((p) => p.pid));
  }
  return found;
}

/** `pid` and every process above it, up to pid 1: the processes the kit must never signal. */
export function selfAndAncestors(pid: number): number[] {
  const chain: number[] = [];
  for (let at: number | undefined = pid; at !== undefined && at > 0 && !chain.includes(at); at = readProc(at)?.ppid) {
    chain.push(at);
  }
  return chain;
}

export const describeEntries = (entries: readonly ProcEntry[]): string =>
  entries.map((p) => `pid ${p.pid} (${p.cmd}, state ${p.state}, ppid ${p.ppid})`).join('; ');
