/**
 * The dangling check (CPython's tearDownModule "Dangling processes", done with /proc): after each
 * test, no process it started may still exist, running or as a zombie below Jest; after each spec
 * file, once the adapter is closed, nothing below Jest may exist at all.
 *
 * What a test left is always ended and reaped before the next test starts, so one failure never
 * cascades. Ending uses only what the kit itself can do (SIGKILL to a process it can prove the test
 * started) and the one member every adapter has (join(), which reaps a zombie child of the
 * implementation); never an optional member such as kill().
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { within } from './deadline';
import type { Entry, Ledger } from './ledger';
import { descendants, describeEntries, lookup, readProc, type ProcEntry } from './proc';

const REAP_JOIN_MS = 2_000;
const VANISH_MS = 3_000;

/** A process of the ledger that has not ended as far as its creator is concerned: running, or a zombie below us. */
function leftover(entry: Entry, below: ReadonlySet<number>): ProcEntry | null {
  if (!entry.id) return null;
  const now = lookup(entry.id);
  if (!now) return null;
  // A zombie that is not below Jest (re-parented to init) is no longer ours to reap.
  return now.state !== 'Z' || below.has(now.pid) ? now : null;
}

function sigkill(ledger: Ledger, entry: Entry): void {
  if (!entry.id || ledger.isProtected(entry.id.pid)) return;
  const now = lookup(entry.id); // proven identity, checked right before signalling
  if (!now || now.state === 'Z') return;
  try {
    process.kill(entry.id.pid, 'SIGKILL');
  } catch {
    // Gone in between.
  }
}

/**
 * Ends and reaps everything the ledger's test left behind. Returns a description of what was left
 * (processes not declared with leaveRunning), or null when nothing was.
 */
export async function endLeftovers(ledger: Ledger): Promise<string | null> {
  const entries = ledger.all();
  const belowNow = new Set(descendants(process.pid).map((p) => p.pid));
  const left = entries.map((e) => ({ entry: e, proc: leftover(e, belowNow) })).filter((x) => x.proc !== null);
  const stray = descendants(process.pid).filter((p) => p.state === 'Z' && !entries.some((e) => e.id?.pid === p.pid));
  if (left.length === 0 && stray.length === 0) return null;

  for (const { entry } of left) sigkill(ledger, entry);
  // Reap: the implementation's join() waits on its own child (a CPython zombie stays one until then).
  await Promise.all(
    entries
      .filter((e) => e.handle && left.some((l) => l.entry === e))
      .map(async (e) => {
        try {
          await within(e.handle!.join(), REAP_JOIN_MS, 'join() during cleanup');
        } catch {
          // A broken or closed handle: the kill above, or the adapter's close(), still ends it.
        }
      }),
  );
  const deadline = Date.now() + VANISH_MS;
  for (;;) {
    const below = new Set(descendants(process.pid).map((p) => p.pid));
    if (left.every(({ entry }) => leftover(entry, below) === null) || Date.now() > deadline) break;
    await sleep(10);
  }
  const reported = [
    ...left
      .filter(({ entry }) => entry.leftOnPurpose === undefined)
      .map(({ entry, proc }) => `${entry.label}: ${describeEntries([proc!])}`),
    ...stray.map((p) => `a zombie nobody reaped: ${describeEntries([p])}`),
  ];
  return reported.length === 0 ? null : reported.join('; ');
}

/** After a spec file, once the adapter is closed: nothing below the Jest process. */
export async function checkNoDescendants(ledger: Ledger): Promise<void> {
  const deadline = Date.now() + 5_000;
  let left = descendants(process.pid);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(20);
    left = descendants(process.pid);
  }
  if (left.length === 0) return;
  for (const p of left) {
    if (ledger.isProtected(p.pid) || readProc(p.pid)?.startTime !== p.startTime) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // Gone in between.
    }
  }
  throw new Error(`leak: processes left after the adapter closed: ${describeEntries(left)}`);
}
