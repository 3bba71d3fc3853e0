/**
 * The ledger: every process the current test started, identified by pid and start time, with when
 * its start() was called and returned and when /proc saw it end. The leak check and the cleanup
 * act on the ledger only, so the kit never signals a process it cannot prove a test started: not
 * Jest, not its ancestors, not the process that creates the children (the CPython agent), not a
 * stranger that inherited a reused pid.
 */
import type { ProcessHandle } from '../adapter';
import { watchExit } from './exit-watch';
import { identify, selfAndAncestors, type ProcessId } from './proc';

export interface Entry {
  /** Identity, or null when the process had already ended and been reaped when the kit looked. */
  id: ProcessId | null;
  pid: number;
  /** What it runs, for messages: `sleepFor`, `subclass ReportingProcess`, `observed child`. */
  label: string;
  /** The handle, when the test created it through the adapter (the cleanup joins it to reap it). */
  handle?: ProcessHandle;
  /** Monotonic ms just before start() was called and when it resolved. */
  startCalledAt?: number;
  startReturnedAt?: number;
  /** Monotonic ms at which /proc first showed it ended. */
  exited: Promise<number>;
  /** Set by kit.leaveRunning(): the test leaves it on purpose and the kit ends it without complaint. */
  leftOnPurpose?: string;
}

export class Ledger {
  private entries: Entry[] = [];
  /** Pids the kit never signals, whatever a broken adapter claims. */
  private readonly protectedPids = new Set<number>(selfAndAncestors(process.pid));

  protect(pid: number): void {
    this.protectedPids.add(pid);
  }

  isProtected(pid: number): boolean {
    return this.protectedPids.has(pid);
  }

  /** Records a started child; `pid` is what the adapter reported once start() resolved. */
  addStarted(pid: number, label: string, handle: ProcessHandle, startCalledAt: number, startReturnedAt: number): Entry {
    const id = identify(pid);
    const entry: Entry = {
      id,
      pid,
      label,
      handle,
      startCalledAt,
      startReturnedAt,
      // Gone before the kit could look: it ended no later than now.
      exited: id ? watchExit(id) : Promise.resolve(startReturnedAt),
    };
    this.entries.push(entry);
    return entry;
  }

  /** Records a process known only from its own observations (pid and start time it reported itself). */
  addObserved(id: ProcessId): void {
    if (this.entries.some((e) => e.id?.pid === id.pid && e.id.startTime === id.startTime)) return;
    this.entries.push({ id, pid: id.pid, label: 'observed child', exited: watchExit(id) });
  }

  entryOf(handle: ProcessHandle): Entry | undefined {
    return this.entries.find((e) => e.handle === handle);
  }

  leaveRunning(pid: number, why: string): void {
    const entry = this.entries.find((e) => e.pid === pid);
    if (!entry) throw new Error(`kit.leaveRunning(${pid}): the kit has no record of the current test starting pid ${pid}`);
    entry.leftOnPurpose = why;
  }

  all(): readonly Entry[] {
    return this.entries;
  }

  /** Starts a new test's ledger; returns the previous test's entries. */
  reset(): Entry[] {
    const previous = this.entries;
    this.entries = [];
    return previous;
  }
}
