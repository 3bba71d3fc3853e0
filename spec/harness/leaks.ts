/**
 * The dangling check (CPython's tearDownModule "Dangling processes", done with /proc): after each
 * test no child it started may still exist, running or zombie; after each spec file nothing below
 * the Jest process may exist at all. A leak is killed, then reported as a failure.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcessHandle } from '../adapter';
import type { Observation } from './observations';
import { descendants, killAll, readProc, type ProcEntry } from './proc';

/** Waits up to `grace` ms for `pids` to vanish; returns those still there. */
async function survivors(pids: readonly number[], grace: number): Promise<ProcEntry[]> {
  const deadline = Date.now() + grace;
  for (;;) {
    const left = pids.map(readProc).filter((p): p is ProcEntry => p !== null);
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(10);
  }
}

const describe = (entries: readonly ProcEntry[]): string =>
  entries.map((p) => `pid ${p.pid} (${p.cmd}, state ${p.state}, ppid ${p.ppid})`).join('; ');

/** After a test: every pid a handle had or an observation came from is gone; no zombie below us. */
export async function checkTestLeaks(handles: readonly ProcessHandle[], observations: readonly Observation[]): Promise<void> {
  const pids = new Set<number>(observations.map((o) => o.pid));
  for (const handle of handles) {
    // A closed handle refuses pid(); its process was already checked when it was closed.
    const pid = await handle.pid().catch(() => null);
    if (pid !== null) pids.add(pid);
  }
  pids.delete(process.pid);
  const left = await survivors([...pids], 1000);
  const zombies = descendants(process.pid).filter((p) => p.state === 'Z');
  if (left.length === 0 && zombies.length === 0) return;
  killAll([...left, ...zombies].map((p) => p.pid));
  throw new Error(`leak: the test left processes behind (each must be joined): ${describe([...left, ...zombies])}`);
}

/** After a spec file, once the adapter is closed: nothing below the Jest process. */
export async function checkNoDescendants(): Promise<void> {
  const below = descendants(process.pid).map((p) => p.pid);
  const left = await survivors(below, 5000);
  if (left.length === 0) return;
  killAll(left.map((p) => p.pid));
  throw new Error(`leak: processes left after the adapter closed: ${describe(left)}`);
}
