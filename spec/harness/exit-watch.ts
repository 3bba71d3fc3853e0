/**
 * When did a child really end? Read from /proc, not from the implementation under test and not
 * from the child's last observation (which comes before its teardown). One shared poller reads
 * /proc/<pid>/stat every millisecond for every watched process while any watch is open, and
 * stamps the first moment it sees the process a zombie or gone, on the monotonic clock.
 *
 * The stamp is late by at most one poll plus event-loop delay, never early: a check "X happened no
 * later than B after the exit" is therefore never stricter than B.
 */
import { monotonicNow } from './clock';
import { hasEnded, type ProcessId } from './proc';

interface Watch {
  id: ProcessId;
  resolve(at: number): void;
}

/** How often /proc is read: two stamps closer than this say nothing about which exit came first. */
export const EXIT_POLL_MS = 1;
const watches = new Set<Watch>();
let poller: NodeJS.Timeout | undefined;

function poll(): void {
  for (const watch of watches) {
    if (!hasEnded(watch.id)) continue;
    // Read after /proc said so: a time read before the check could precede the exit itself.
    const now = monotonicNow();
    watches.delete(watch);
    watch.resolve(now);
  }
  if (watches.size === 0) {
    clearInterval(poller);
    poller = undefined;
  }
}

/** Resolves with the monotonic time at which `id` was first seen ended (at once if it already has). */
export function watchExit(id: ProcessId): Promise<number> {
  if (hasEnded(id)) return Promise.resolve(monotonicNow());
  return new Promise((resolve) => {
    watches.add({ id, resolve });
    poller ??= setInterval(poll, EXIT_POLL_MS);
  });
}

/**
 * Ends every open watch, resolving it with NaN (the kit calls it after each test, so a watch a
 * failed test left open cannot keep Jest alive).
 */
export function stopWatching(): void {
  for (const watch of watches) watch.resolve(Number.NaN);
  watches.clear();
  clearInterval(poller);
  poller = undefined;
}
