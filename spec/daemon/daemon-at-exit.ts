/**
 * The `daemonAtExit` program (fixtures/README.md) as D2, D3 and D4 drive it: a daemon child ticks
 * every TICK_MS while the main code runs to its end, alone, beside a non-daemon sibling, or after
 * joining a non-daemon worker. The gates make every step an event the spec controls.
 */
import { check } from '../harness/checks';
import { monotonicNow } from '../harness/clock';
import { within } from '../harness/deadline';
import type { Kit } from '../harness/describe-rule';
import type { Bounds } from '../harness/yardstick';
import type { Observation } from '../harness/observations';
import { lookup } from '../harness/proc';
import type { Scenario } from '../harness/scenarios';

const TICK_MS = 5;
const MAIN = 'daemonAtExit:main';
export const DAEMON = 'daemonAtExit:daemon';
export const SIBLING = 'daemonAtExit:sibling';

export interface DaemonAtExit {
  scenario: Scenario;
  /** The daemon's first tick: it identifies the daemon process (pid and start time). */
  daemon: Observation;
  /** The sibling's (or worker's) `started` record, for modes with one. */
  sibling: Observation | null;
  /** Lets the main code go on to its end. */
  endMain(): void;
  /** Lets the sibling (or worker) end. */
  endSibling(): void;
}

/** Starts the program and waits until the daemon ticks (and the sibling runs). */
export async function startDaemonAtExit(kit: Kit, mode: 'alone' | 'sibling' | 'raises' | 'exits' | 'monitor'): Promise<DaemonAtExit> {
  const mainGate = kit.gate();
  const siblingGate = kit.gate();
  const scenario = kit.scenario('daemonAtExit', [mode, String(TICK_MS), mainGate.file, siblingGate.file]);
  const [daemon] = await scenario.waitFor('tick', { tok: DAEMON, count: 3, timeout: 20_000 });
  const sibling = mode === 'alone' ? null : (await scenario.waitFor('started', { tok: SIBLING }))[0]!;
  return { scenario, daemon: daemon!, sibling, endMain: () => mainGate.open(), endSibling: () => siblingGate.open() };
}

/** The main code's `main-end` record, once written. */
export async function mainEnd(kit: Kit): Promise<Observation> {
  return (await kit.observations.waitFor('main-end', { tok: MAIN, timeout: 20_000 }))[0]!;
}

/** Is this process still running (not gone, not a zombie), by /proc? */
export function running(o: Observation): boolean {
  const now = lookup({ pid: o.pid, startTime: o.st });
  return now !== null && now.state !== 'Z';
}

/** The `at-exit` record the program writes after the library's own exit handling, checked exactly. */
export function checkExitCodes(kit: Kit, expected: { daemon: number; sibling: number | null }): void {
  const atExit = kit.observations.of('at-exit', MAIN).map(({ daemon, sibling }) => ({ daemon, sibling }));
  check.equal("exit codes the main program's exit hook saw after the library's exit handling", atExit, [expected]);
}

/** Ticks written after `t`. */
export const ticksAfter = (kit: Kit, t: number): Observation[] => kit.observations.of('tick', DAEMON).filter((o) => o.t > t);

/**
 * When /proc saw the writer of `o` end, waiting at most until `bound` ms after `since`: a process
 * that outlives that is named as such (not as a timeout of the test).
 */
export async function endedWithin(kit: Kit, o: Observation, since: number, bound: number, what: string): Promise<number> {
  const message = `${what} was still running ${bound.toFixed(1)} ms after it should have ended (pid ${o.pid})`;
  return within(kit.exitOf(o), since + bound - monotonicNow(), what, message);
}

/**
 * How soon after its creator's code ends a daemon must be gone: the creator's own end (Node's
 * 'beforeExit', CPython's atexit), a SIGTERM, and the daemon's teardown as /proc sees it. The
 * teardown of a Node process alone took 31-44 ms on a loaded run whose `prompt` was 30 ms, so the
 * grace is a start's bound plus a prompt one: far below what a daemon left running, or ended by a
 * poll or a timer, would show.
 */
export const grace = (b: Bounds): number => b.start + b.prompt;
