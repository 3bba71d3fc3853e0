/**
 * The ledger: every process the current test started, identified by pid and start time, with when
 * its start() was called and returned and when /proc saw it end. The leak check and the cleanup
 * act on the ledger only, so the kit never signals a process it cannot prove a test started: not
 * Jest, not its ancestors, not the process that creates the children (the CPython agent), not a
 * stranger that inherited a reused pid.
 */
import type { ProcessHandle } from '../adapter';
import { RuleViolation } from './checks';
import { watchExit } from './exit-watch';
import { identify, selfAndAncestors, type ProcessId } from './proc';

export interface Entry {
  /** Identity, or null when the process had already ended and been reaped, or has no pid of its own. */
  id: ProcessId | null;
  /** The pid the implementation reported, or null when it reported none. */
  pid: number | null;
  /** What it runs, for messages: `sleepFor [t3] (pid 123)`, `observed child`. */
  label: string;
  /** The handle, when the test created it through the adapter (the cleanup joins it to reap it). */
  handle?: ProcessHandle;
  /** Monotonic ms just before start() was called and when it resolved. */
  startCalledAt?: number;
  startReturnedAt?: number;
  /** Why the kit cannot follow this process in /proc (no pid, or the parent's own), if so. */
  problem?: string;
  /** Monotonic ms at which /proc first showed it ended (watched from the moment it was recorded); rejects naming the problem when it cannot be seen. */
  exited: () => Promise<number>;
  /** Set by kit.leaveRunning(): the test leaves it on purpose and the kit ends it without complaint. */
  leftOnPurpose?: string;
}

export class Ledger {
  private entries: Entry[] = [];
  /** Background checks of obligations (tracked-adapter.ts), each giving a violation or null. */
  private checks: Promise<string | null>[] = [];
  /** Pids the kit never signals, whatever a broken adapter claims. */
  private readonly protectedPids = new Set<number>(selfAndAncestors(process.pid));

  protect(pid: number): void {
    this.protectedPids.add(pid);
  }

  isProtected(pid: number): boolean {
    return this.protectedPids.has(pid);
  }

  /**
   * Records a started child from what the adapter's pid() gave once start() resolved: a pid, or
   * anything else (null, an error), which leaves the child unfollowable, with the reason.
   */
  addStarted(reported: unknown, label: string, handle: ProcessHandle, startCalledAt: number, startReturnedAt: number): Entry {
    const pid = typeof reported === 'number' ? reported : null;
    const problem =
      pid === null
        ? `${label} has no pid of its own after start() resolved (pid() gave ${reported instanceof Error ? reported.message.split('\n')[0] : String(reported)})`
        : this.isProtected(pid)
          ? `the child's pid is the parent's own (pid ${pid}, ${label}): one Process must be one OS process of its own`
          : undefined;
    const id = pid !== null && !problem ? identify(pid) : null;
    // The watch starts now, not when first asked for: asked after the exit, it would stamp the
    // asking time instead of the exit. Only the rejection for a process the kit cannot follow is
    // made when asked for, so that one nobody awaits does not surface as unhandled.
    const watched = id ? watchExit(id) : undefined;
    let unobservable: Promise<number> | undefined;
    const entry: Entry = {
      id,
      pid,
      label: pid === null ? label : `${label} (pid ${pid})`,
      handle,
      startCalledAt,
      startReturnedAt,
      ...(problem ? { problem } : {}),
      exited: () =>
        problem
          ? (unobservable ??= Promise.reject(new RuleViolation(`the child's exit cannot be observed: ${problem}`)))
          : (watched ?? Promise.resolve(startReturnedAt)), // gone before the kit could look: it ended no later than start()'s return
    };
    this.entries.push(entry);
    return entry;
  }

  /** Records a process known only from its own observations (pid and start time it reported itself). */
  addObserved(id: ProcessId, label: string): void {
    if (this.entries.some((e) => e.id?.pid === id.pid && e.id.startTime === id.startTime)) return;
    const watched = watchExit(id);
    this.entries.push({ id, pid: id.pid, label, exited: () => watched });
  }

  /** Adds a background obligation check; its violation, if any, fails the current test when it ends. */
  check(outcome: Promise<string | null>): void {
    this.checks.push(outcome.catch((error: unknown) => `an obligation check failed: ${String(error)}`));
  }

  /** Waits for every background check of the current test; returns the violations. */
  async violations(): Promise<string[]> {
    const found = await Promise.all(this.checks);
    return found.filter((v): v is string => v !== null);
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
    this.checks = [];
    return previous;
  }
}
