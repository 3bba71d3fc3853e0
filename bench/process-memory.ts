/**
 * Memory of the processes a start implementation keeps or runs below the bench, read from /proc:
 * RSS (VmRSS of /proc/<pid>/status) and PSS (Pss of /proc/<pid>/smaps_rollup: each shared page
 * split among its sharers, so a fork child is not charged for the parent pages it only shares).
 * A process that ends between the listing and the read counts zero.
 */
import { readFileSync } from 'node:fs';
import { descendants } from '../spec/harness/proc';

/** A kB field (`VmRSS:   41234 kB`) of a /proc file, in MB; 0 when the process is gone. */
function procMb(file: string, field: string): number {
  try {
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(file, 'utf8'))?.[1];
    return kb === undefined ? 0 : Number(kb) / 1024;
  } catch {
    return 0;
  }
}

export const rssMb = (pid: number): number => procMb(`/proc/${pid}/status`, 'VmRSS');
export const pssMb = (pid: number): number => procMb(`/proc/${pid}/smaps_rollup`, 'Pss');

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/**
 * The processes below the bench that belong to the implementation under test: every descendant
 * but the load burners and the CPython agent itself (a direct child running agent.py: it is the
 * parent program there, as the bench process is for ours, and neither is counted).
 */
export function implementationProcesses(leaveOut: ReadonlySet<number>): number[] {
  return descendants(process.pid)
    .filter((p) => p.state !== 'Z' && !leaveOut.has(p.pid))
    .filter((p) => !(p.ppid === process.pid && cmdline(p.pid).includes('agent.py')))
    .map((p) => p.pid);
}

/** Ours' spare children: descendants running src/bootstrap.js (only spares, while no task runs). */
export const spareChildren = (): number[] =>
  descendants(process.pid)
    .filter((p) => p.state !== 'Z' && cmdline(p.pid).includes('bootstrap.js'))
    .map((p) => p.pid);

export interface TreeMemory {
  processes: number;
  rssMb: number;
  pssMb: number;
}

export function treeMemory(pids: readonly number[]): TreeMemory {
  return { processes: pids.length, rssMb: sum(pids.map(rssMb)), pssMb: sum(pids.map(pssMb)) };
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
