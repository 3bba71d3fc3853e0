/**
 * A child's end, read from /proc without reaping it: for the one moment when nothing asynchronous
 * can run any more (process.exit(), an uncaught error), yet CPython's exit handling must still
 * wait for the children. Node reaps children from its event loop, which no longer turns then, so
 * an exited child stays a zombie whose /proc entry still holds its wait status.
 */
import { readdirSync, readFileSync } from 'node:fs';

const POLL_MS = 1;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Python's return code of `pid` once it has exited (its status, or minus the signal that killed
 * it), blocking the calling thread until then; null if the pid vanished without a trace (reaped by
 * someone else). `startTime` (field 22 of its stat) makes sure a reused pid is never mistaken for it.
 */
export function waitForExitSync(pid: number, startTime: number): number | null {
  for (;;) {
    const fields = statFields(pid);
    if (fields === null || Number(fields[19]) !== startTime) return null;
    // Z: the thread group leader has exited; every other thread must be gone too before the status is final.
    if (fields[0] === 'Z' && threadCount(pid) <= 1) return returnCode(Number(fields[49]));
    Atomics.wait(pause, 0, 0, POLL_MS);
  }
}

/** Field 22 of /proc/<pid>/stat, the start time that tells this process from a later one with the same pid. */
export function startTimeOf(pid: number): number | null {
  const fields = statFields(pid);
  return fields === null ? null : Number(fields[19]);
}

/** The fields after the command: index 0 is the state (field 3 of proc(5)), 19 the start time, 49 the exit status (field 52). */
function statFields(pid: number): string[] | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command may itself contain spaces or parentheses: the fields start after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function threadCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/task`).length;
  } catch {
    return 0;
  }
}

/** waitpid(2)'s status as Python reports it: the exit status, or minus the terminating signal. */
function returnCode(status: number): number {
  const signal = status & 0x7f;
  if (signal === 0) return (status >> 8) & 0xff;
  return -signal;
}
