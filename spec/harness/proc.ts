/**
 * Process-table reads from /proc: who descends from whom and which pids are zombies. A zombie still
 * answers kill(pid, 0), so liveness is read from /proc/<pid>/stat, never from signals.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcEntry {
  pid: number;
  ppid: number;
  /** One-letter state: R, S, D, Z, T, ... */
  state: string;
  cmd: string;
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
  const [state, ppid] = stat.slice(close + 2).split(' ');
  return { pid, ppid: Number(ppid), state: state ?? '?', cmd };
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
  let frontier = [root];
  while (frontier.length > 0) {
    const next = table.filter((p) => frontier.includes(p.ppid));
    found.push(...next);
    frontier = next.map((p) => p.pid);
  }
  return found;
}

/** Running, or a zombie: either way not gone. */
export function exists(pid: number): boolean {
  return readProc(pid) !== null;
}

export const isZombie = (pid: number): boolean => readProc(pid)?.state === 'Z';

/** SIGKILLs every pid that still exists; used only to clean up after a leak was reported. */
export function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
