/**
 * What the rules about a process that outlives its parent check (Z2, Z3, D6), written once: the
 * orphan goes on ticking, sees its parent dead, and is adopted by a live process that /proc and its
 * own records agree on; then the harness ends it, and nothing of the dead parent's family is left.
 *
 * The family is read from /proc while the parent lives. An implementation's helpers (CPython's fork
 * server and resource tracker, our standby child) write no records, so the kit cannot follow them
 * from the observation channel; and once their parent dies they are adopted away from the kit's
 * tree, where its end-of-file check cannot see them. So each is put in the ledger (the kit ends
 * whatever is left after the test), and the spec checks that they end on their own once the orphan
 * has: a helper that outlives both is a leak of the implementation.
 */
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { check, fail, show } from './checks';
import { monotonicNow } from './clock';
import type { Kit } from './describe-rule';
import { writerOf, type Observation } from './observations';
import { descendants, describeEntries, hasEnded, lookup, readProc, type ProcEntry, type ProcessId } from './proc';
import { socketFoldersOf } from './socket-folders';
import type { Bounds } from './yardstick';

/** How often the orphan's task (tickWithParent) records; only its rate, no bound comes from it. */
export const TICK_MS = 20;
/** Ticks an orphan must write after its parent's death (and `prompt` more) to count as going on. */
const TICKS_AFTER = 3;
const TICKS_WAIT_MS = 10_000;

const sameId = (a: ProcessId, b: ProcessId): boolean => a.pid === b.pid && a.startTime === b.startTime;
const idOf = (p: ProcEntry): ProcessId => ({ pid: p.pid, startTime: p.startTime });

/**
 * Every process below `root`, once two reads `prompt` apart agree (a helper may still be starting),
 * each put in the ledger so that the kit ends it after the test, wherever it was adopted.
 */
export async function familyOf(kit: Kit, root: number, whose: string, b: Bounds): Promise<ProcEntry[]> {
  let family = descendants(root);
  for (let tries = 0; tries < 20; tries++) {
    await sleep(b.prompt);
    const now = descendants(root);
    const still = now.length === family.length && now.every((p) => family.some((q) => sameId(idOf(p), idOf(q))));
    family = now;
    if (still) break;
  }
  for (const p of family) kit.mp.ledger.addObserved(idOf(p), `${p.cmd} (pid ${p.pid}), below ${whose}`);
  return family;
}

export interface Death {
  /** The token of the ticking child's records. */
  tok: string;
  /** The parent that died. */
  parent: number;
  /** Monotonic ms just before the harness signalled the parent: ticks before it were written while it lived. */
  signalledAt: number;
  /** Monotonic ms by which the harness knew the parent had died (its end is never later). */
  diedAt: number;
}

const aliveIn = (ticks: readonly Observation[]): unknown[] => ticks.map((o) => o.parentAlive);

/**
 * The orphan keeps ticking after its parent's death; its records from `prompt` after the death on
 * say its parent is dead and name one OS parent that is not the dead one, that /proc agrees
 * on and that is alive. Under a fork server (capability 'forked-by-server') that is the server,
 * its OS parent from the start; otherwise the OS parent was the dead parent itself and changed.
 * Returns the orphan's identity and its adopter.
 */
export async function expectAdopted(kit: Kit, death: Death, b: Bounds): Promise<{ orphan: ProcessId; adopter: ProcEntry }> {
  const { tok, parent, signalledAt, diedAt } = death;
  const settled = diedAt + b.prompt;
  const ticks = await ticksAfter(kit, tok, diedAt, settled);
  const orphan = writerOf(ticks[0]!);
  const before = ticks.filter((o) => o.t < signalledAt);
  const late = ticks.filter((o) => o.t > settled);

  check.that(before.length > 0, `the child [${tok}] wrote no tick before its parent was signalled`);
  const osParentBefore = before[0]!.ppid;
  if (kit.mp.capabilities.has('forked-by-server')) {
    check.that(osParentBefore !== parent, `'forked-by-server' is declared, but the child's OS parent was its creator ${parent} itself`);
  } else {
    check.equal("the child's OS parent while its parent lived", osParentBefore, parent);
  }
  check.equal(
    "parentProcess().isAlive() in the child's ticks while its parent lived",
    aliveIn(before),
    before.map(() => true),
  );
  check.equal(
    `parentProcess().isAlive() in the orphan's ticks from ${b.prompt.toFixed(1)} ms after its parent's death (${b.basis})`,
    aliveIn(late),
    late.map(() => false),
  );

  // The same span as for isAlive(): a record's fields are read just before its time is.
  const adopters = [...new Set(late.map((o) => o.ppid))];
  check.that(adopters.length === 1, `the orphan's ticks after its parent's death name several OS parents: ${show(adopters)}`);
  const adopter = adopters[0]!;
  check.that(adopter !== parent, `the orphan's ticks after its parent's death still name the dead parent ${parent} as their OS parent`);
  if (kit.mp.capabilities.has('forked-by-server')) {
    check.equal("the orphan's OS parent after the death, under a fork server (the server stays its parent)", adopter, osParentBefore);
  }
  const now = lookup(orphan);
  if (!now || now.state === 'Z') fail(`the orphan (pid ${orphan.pid}) is no longer running after ${ticks.length} ticks: ${show(now)}`);
  check.equal("the orphan's OS parent in /proc, as its own ticks report it", now.ppid, adopter);
  const adopterNow = readProc(adopter);
  if (!adopterNow || adopterNow.state === 'Z') fail(`the orphan's adopter, pid ${adopter}, is not a live process: ${show(adopterNow)}`);
  return { orphan, adopter: adopterNow };
}

/**
 * Waits for TICKS_AFTER ticks of `tok` written after `since`; fails at once if /proc shows their
 * writer ended first, saying when its last tick came. Returns every tick of `tok`, in order.
 */
async function ticksAfter(kit: Kit, tok: string, diedAt: number, since: number): Promise<Observation[]> {
  const [first] = await kit.observations.waitFor('tick', { tok });
  const writer = writerOf(first!);
  const deadline = monotonicNow() + TICKS_WAIT_MS;
  for (;;) {
    const ticks = kit.observations.of('tick', tok);
    const late = ticks.filter((o) => o.t > since).length;
    if (late >= TICKS_AFTER) return ticks;
    const why = hasEnded(writer) ? 'it ended' : monotonicNow() > deadline ? `it stopped ticking for ${TICKS_WAIT_MS} ms` : null;
    if (why !== null) {
      const last = ticks[ticks.length - 1]!;
      const gap = last.t - diedAt;
      fail(
        `the orphan [${tok}] (pid ${writer.pid}) did not go on after its parent's death: ${why}, its last tick (n=${String(last.n)}) written ${Math.abs(gap).toFixed(1)} ms ${gap < 0 ? 'before' : 'after'} the death was seen`,
      );
    }
    await sleep(2);
  }
}

/** Who adopted the orphan, in words that stay the same from run to run (for kit.note). */
export function adopterName(adopter: ProcEntry, family: readonly ProcEntry[]): string {
  if (adopter.pid === 1) return `pid 1 (${adopter.cmd})`;
  const helper = family.some((p) => sameId(idOf(p), idOf(adopter)));
  return helper ? `a process its dead parent had started (${adopter.cmd}), still running` : `a subreaper (${adopter.cmd})`;
}

/**
 * The harness ends the orphan (SIGKILL, after checking it is still that process); then every other
 * process of the dead parent's family must end on its own within `start + prompt`.
 */
export async function endOrphan(kit: Kit, orphan: ProcessId, family: readonly ProcEntry[], b: Bounds): Promise<void> {
  if (lookup(orphan)) process.kill(orphan.pid, 'SIGKILL');
  const endedAt = await kit.exitOf(orphan);
  const bound = b.start + b.prompt;
  const rest = family.filter((p) => !sameId(idOf(p), orphan));
  while (monotonicNow() - endedAt <= bound) {
    if (rest.every((p) => hasEnded(idOf(p)))) return;
    await sleep(5);
  }
  const left = rest.filter((p) => !hasEnded(idOf(p))).map((p) => lookup(idOf(p)) ?? p);
  fail(
    `processes of the dead parent's family still run ${bound.toFixed(1)} ms after its orphan ended (${b.basis}): ${describeEntries(left)}`,
  );
}

/**
 * Z2 and D6: the program `orphan` starts one ticking child (`kind`: plain or daemon); the harness
 * ends the program with `signal` and checks the child outlives it, adopted (expectAdopted), then ends
 * the orphan and checks the program's helpers end too (endOrphan).
 */
export async function outliveProgram(kit: Kit, kind: 'plain' | 'daemon', signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
  const b = await kit.bounds();
  const program = kit.scenario('orphan', [kind, String(TICK_MS)]);
  const [started] = await program.waitFor('started', { tok: 'orphan' });
  const [first] = await program.waitFor('tick', { tok: 'orphan.child' });
  check.equal(
    'the child the program started',
    { pid: first!.pid, daemon: started!.daemon },
    { pid: started!.pid, daemon: kind === 'daemon' },
  );
  const family = await familyOf(kit, program.pid, 'the program', b);
  const folders = socketFoldersOf([program.pid, ...family.map((p) => p.pid)]);
  try {
    const signalledAt = monotonicNow();
    program.signal(signal);
    // Its end as /proc saw it: the scenario's own end waits for its output pipes to close, and the
    // orphan (and the helpers) inherited them.
    const diedAt = await kit.exitOf(program.id);
    const { orphan, adopter } = await expectAdopted(kit, { tok: 'orphan.child', parent: program.pid, signalledAt, diedAt }, b);
    kit.note(`the orphan's OS parent after the death: ${adopterName(adopter, family)}`);
    await endOrphan(kit, orphan, family, b);
    const end = await program.ended;
    check.equal(`how the program ended after ${signal}`, { exitCode: end.exitCode, signal: end.signal }, { exitCode: null, signal });
  } finally {
    // A killed program removes nothing: CPython's temp folder (pymp-*, holding its fork server's
    // socket) would outlive the run.
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  }
}
