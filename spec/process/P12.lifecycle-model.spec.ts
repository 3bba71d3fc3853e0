import { setImmediate as nextTurn } from 'node:timers/promises';
import fc from 'fast-check';
import type { KitError, ProcessHandle } from '../adapter';
import { fail, show } from '../harness/checks';
import { within } from '../harness/deadline';
import { describeRule, type Gate, type Kit } from '../harness/describe-rule';

/**
 * A model of CPython 3.11's Process lifecycle (Lib/multiprocessing/process.py, popen_fork.py), run
 * against the implementation as fast-check commands on two processes. Each child runs `gatedExit`,
 * so its own end is an event the harness controls (`end`), and "ended but never joined" is a state
 * of its own. Where CPython itself races, right after terminate() or kill(), the model accepts
 * either answer and learns the state from the one it got.
 */

type State = 'initial' | 'running' | 'dying' | 'ended' | 'closed';

interface Slot {
  state: State;
  daemon: boolean;
  /** The exit code gatedExit ends with when its gate opens. */
  endCode: number;
  /** Exit code once ended; while dying, the codes the signals sent so far could give. */
  exitCode: number | null;
  dyingCodes: number[];
  /** Dying because it has already exited, and the implementation may not have heard yet (a fork server reports exits asynchronously). */
  exitedUnheard?: boolean;
  pid: number | null;
}

interface Real {
  kit: Kit;
  handles: ProcessHandle[];
  gates: Gate[];
}

/** What a call gave: a value, or an error code. */
type Outcome = { value: unknown } | { code: string };

async function outcome(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { value: await call() };
  } catch (error) {
    const code = (error as KitError).code;
    if (typeof code !== 'string' || code === 'ERR_MP_AGENT' || code === 'ERR_MP_PYTHON') throw error;
    return { code };
  }
}

const ok = (value: unknown = undefined): Outcome => ({ value });
const err = (code: string): Outcome => ({ code });
const same = (a: Outcome, b: Outcome): boolean =>
  'code' in a ? 'code' in b && a.code === b.code : 'value' in b && Object.is(a.value, b.value);

/** Fails unless `got` is one of `allowed`; returns it. */
function expectOneOf(what: string, got: Outcome, allowed: Outcome[]): Outcome {
  if (!allowed.some((a) => same(a, got))) {
    const expected = (o: Outcome): string => ('code' in o ? `reject with ${o.code}` : `give ${show(o.value)}`);
    const actual = 'code' in got ? `rejected with ${got.code}` : `gave ${show(got.value)}`;
    fail(`${what}: the model of CPython expects it to ${allowed.map(expected).join(' or ')}, but it ${actual}`);
  }
  return got;
}

const SLOTS = ['A', 'B'] as const;

abstract class Command implements fc.AsyncCommand<Slot[], Real> {
  constructor(readonly slot: number) {}
  check(_model: Readonly<Slot[]>): boolean {
    return true;
  }
  abstract run(model: Slot[], real: Real): Promise<void>;
  abstract label(): string;
  toString(): string {
    return `${this.label()}(${SLOTS[this.slot]})`;
  }
}

class Start extends Command {
  label = (): string => 'start';
  async run(model: Slot[], real: Real): Promise<void> {
    const m = model[this.slot]!;
    const allowed = {
      initial: [ok()],
      running: [err('ERR_MP_ALREADY_STARTED')],
      dying: [err('ERR_MP_ALREADY_STARTED')],
      ended: [err('ERR_MP_ALREADY_STARTED')],
      closed: [err('ERR_MP_CLOSED')],
    }[m.state];
    const handle = real.handles[this.slot]!;
    expectOneOf(this.toString(), await outcome(() => handle.start()), allowed);
    if (m.state === 'initial') {
      m.state = 'running';
      m.pid = real.kit.started(handle).pid;
    }
  }
}

/**
 * The child's own end: its gate opens, and the step completes once /proc shows it gone and the
 * event loop has turned (an implementation hears of an exit through its event loop: SIGCHLD).
 * Where children are forked by a server, the server reports the exit to the parent later, on its
 * own schedule: until the implementation says so, the child is as good as dying, with a known code.
 */
class End extends Command {
  label = (): string => 'end';
  override check(model: Readonly<Slot[]>): boolean {
    return model[this.slot]!.state === 'running';
  }
  async run(model: Slot[], real: Real): Promise<void> {
    const m = model[this.slot]!;
    real.gates[this.slot]!.open();
    await within(real.kit.started(real.handles[this.slot]!).exited, 10_000, `the exit of ${SLOTS[this.slot]} after its gate opened`);
    await nextTurn();
    if (real.kit.mp.capabilities.has('forked-by-server')) {
      m.state = 'dying';
      m.dyingCodes = [m.endCode];
      m.exitedUnheard = true;
    } else {
      m.state = 'ended';
      m.exitCode = m.endCode;
    }
  }
}

class Join extends Command {
  constructor(
    slot: number,
    readonly timeout: number | undefined,
  ) {
    super(slot);
  }
  label = (): string => (this.timeout === undefined ? 'join' : `join[timeout ${this.timeout}]`);
  override check(model: Readonly<Slot[]>): boolean {
    // A join without timeout on a child that never ends would wait forever: not a sequence to try.
    return !(this.timeout === undefined && model[this.slot]!.state === 'running');
  }
  async run(model: Slot[], real: Real): Promise<void> {
    const m = model[this.slot]!;
    const allowed = { initial: [err('ERR_MP_NOT_STARTED')], running: [ok()], dying: [ok()], ended: [ok()], closed: [err('ERR_MP_CLOSED')] }[
      m.state
    ];
    const options = this.timeout === undefined ? undefined : { timeout: this.timeout };
    expectOneOf(this.toString(), await outcome(() => real.handles[this.slot]!.join(options)), allowed);
    if (m.state === 'dying' && this.timeout === undefined) settle(m, null);
  }
}

/** A dying child has ended; `code` is what was observed, or null when only the end is known. */
function settle(m: Slot, code: number | null): void {
  m.state = 'ended';
  m.exitCode = code;
}

class IsAlive extends Command {
  label = (): string => 'isAlive';
  async run(model: Slot[], real: Real): Promise<void> {
    const m = model[this.slot]!;
    const allowed = {
      initial: [ok(false)],
      running: [ok(true)],
      dying: [ok(true), ok(false)],
      ended: [ok(false)],
      closed: [err('ERR_MP_CLOSED')],
    }[m.state];
    const got = expectOneOf(this.toString(), await outcome(() => real.handles[this.slot]!.isAlive()), allowed);
    if (m.state === 'dying' && same(got, ok(false))) settle(m, null);
  }
}

class ExitCode extends Command {
  label = (): string => 'exitCode';
  async run(model: Slot[], real: Real): Promise<void> {
    const m = model[this.slot]!;
    const ended = m.exitCode === null && m.state === 'ended' ? m.dyingCodes.map((c) => ok(c)) : [ok(m.exitCode)];
    const allowed = {
      initial: [ok(null)],
      running: [ok(null)],
      dying: [ok(null), ...m.dyingCodes.map((c) => ok(c))],
      ended,
      closed: [err('ERR_MP_CLOSED')],
    }[m.state];
    const got = expectOneOf(this.toString(), await outcome(() => real.handles[this.slot]!.exitCode()), allowed);
    if ((m.state === 'dying' || m.state === 'ended') && 'value' in got && got.value !== null) settle(m, got.value as number);
  }
}

class Pid extends Command {
  label = (): string => 'pid';
  async run(model: Slot[], real: Real): Promise<void> {
    const m = model[this.slot]!;
    const allowed = m.state === 'closed' ? [err('ERR_MP_CLOSED')] : [ok(m.pid)];
    expectOneOf(this.toString(), await outcome(() => real.handles[this.slot]!.pid()), allowed);
  }
}

class Signal extends Command {
  constructor(
    slot: number,
    readonly how: 'terminate' | 'kill',
  ) {
    super(slot);
  }
  label = (): string => this.how;
  async run(model: Slot[], real: Real): Promise<void> {
    const m = model[this.slot]!;
    const allowed = { initial: [err('ERR_MP_NOT_STARTED')], running: [ok()], dying: [ok()], ended: [ok()], closed: [err('ERR_MP_CLOSED')] }[
      m.state
    ];
    expectOneOf(this.toString(), await outcome(() => real.handles[this.slot]![this.how]()), allowed);
    if (m.state === 'running' || (m.state === 'dying' && !m.exitedUnheard)) {
      m.state = 'dying';
      m.dyingCodes.push(this.how === 'terminate' ? -15 : -9);
    }
  }
}

class Close extends Command {
  label = (): string => 'close';
  async run(model: Slot[], real: Real): Promise<void> {
    const m = model[this.slot]!;
    const allowed = {
      initial: [ok()],
      running: [err('ERR_MP_STILL_RUNNING')],
      dying: [err('ERR_MP_STILL_RUNNING'), ok()],
      ended: [ok()],
      closed: [ok()],
    }[m.state];
    const got = expectOneOf(this.toString(), await outcome(() => real.handles[this.slot]!.close()), allowed);
    if (m.state !== 'running' && 'value' in got) m.state = 'closed';
  }
}

class SetDaemon extends Command {
  constructor(
    slot: number,
    readonly value: boolean,
  ) {
    super(slot);
  }
  label = (): string => `setDaemon[${this.value}]`;
  async run(model: Slot[], real: Real): Promise<void> {
    const m = model[this.slot]!;
    // CPython checks `_popen is None`, which close() restores: a closed process takes a new daemon flag.
    const refused = m.state === 'running' || m.state === 'dying' || m.state === 'ended';
    const handle = real.handles[this.slot]!;
    expectOneOf(this.toString(), await outcome(() => handle.setDaemon(this.value)), [refused ? err('ERR_MP_ALREADY_STARTED') : ok()]);
    if (!refused) m.daemon = this.value;
    expectOneOf(`daemon(${SLOTS[this.slot]}) after ${this.toString()}`, await outcome(() => handle.daemon()), [ok(m.daemon)]);
  }
}

class ActiveChildren extends Command {
  label = (): string => 'activeChildren';
  override toString(): string {
    return 'activeChildren()';
  }
  async run(model: Slot[], real: Real): Promise<void> {
    const listed = new Set((await real.kit.mp.activeChildren()).map((c) => c.pid));
    for (const m of model) {
      const isListed = m.pid !== null && listed.has(m.pid);
      if (m.state === 'running' && !isListed)
        fail(`activeChildren(): the model expects running pid ${m.pid} to be listed, it is not (${show([...listed])})`);
      if ((m.state === 'ended' || m.state === 'closed') && isListed)
        fail(`activeChildren(): pid ${m.pid} has ended (${m.state}) but is listed`);
      if (m.state === 'dying' && !isListed) settle(m, null); // reaped: it has ended
    }
  }
}

const slot = fc.integer({ min: 0, max: 1 });
const commands = fc.commands(
  [
    slot.map((s) => new Start(s)),
    slot.map((s) => new End(s)),
    fc.tuple(slot, fc.constantFrom(undefined, 0, 30)).map(([s, t]) => new Join(s, t)),
    slot.map((s) => new IsAlive(s)),
    slot.map((s) => new ExitCode(s)),
    slot.map((s) => new Pid(s)),
    fc.tuple(slot, fc.constantFrom('terminate' as const, 'kill' as const)).map(([s, how]) => new Signal(s, how)),
    slot.map((s) => new Close(s)),
    fc.tuple(slot, fc.boolean()).map(([s, v]) => new SetDaemon(s, v)),
    fc.constant(new ActiveChildren(0)),
  ],
  { maxCommands: 14 },
);

/** Runs one sequence of commands on two fresh processes, against the model. */
async function runSequence(kit: Kit, endCodes: readonly number[], cmds: Iterable<fc.AsyncCommand<Slot[], Real>>): Promise<void> {
  const gates = [kit.gate(), kit.gate()];
  const handles: ProcessHandle[] = [];
  for (const [i, gate] of gates.entries()) handles.push(await kit.mp.Process({ target: 'gatedExit', args: [gate.file, endCodes[i]!] }));
  const model: Slot[] = endCodes.map((endCode) => ({
    state: 'initial',
    daemon: false,
    endCode,
    exitCode: null,
    dyingCodes: [],
    pid: null,
  }));
  try {
    await fc.asyncModelRun(() => ({ model, real: { kit, handles, gates } }), cmds);
  } finally {
    for (const gate of gates) gate.open();
    await kit.cleanup();
  }
}

/**
 * CPython's quirks and the states random sequences reach least often, as fixed sequences: random
 * runs find them only by luck.
 */
const FIXED: Command[][] = [
  [new Close(0), new SetDaemon(0, true), new Start(0)],
  [new Start(0), new End(0), new Close(0), new SetDaemon(0, true), new Pid(0)],
  [new Start(0), new End(0), new ActiveChildren(0), new IsAlive(0), new ExitCode(0), new Join(0, undefined), new Join(0, 0)],
  [new Start(0), new Start(1), new Signal(0, 'kill'), new Join(0, undefined), new ActiveChildren(0), new End(1), new ActiveChildren(0)],
  [
    new Start(0),
    new Close(0),
    new Join(0, 0),
    new Signal(0, 'terminate'),
    new Join(0, undefined),
    new ExitCode(0),
    new Close(0),
    new Close(0),
  ],
  [new Start(0), new End(0), new Signal(0, 'terminate'), new Signal(0, 'kill'), new ExitCode(0), new Start(0)],
];

describeRule('P12', (kit) => {
  kit.test('fixed sequences through the quirks: daemon after close(), signals to an ended child, reaping by activeChildren()', async () => {
    for (const cmds of FIXED) await runSequence(kit, [3, 0], cmds);
  });

  kit.test(
    "random call sequences on two processes answer as the model of CPython's lifecycle predicts (property, 25 runs)",
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })), commands, (endCodes, cmds) =>
          runSequence(kit, endCodes, cmds),
        ),
        { numRuns: 25 },
      );
    },
    { budget: 180_000 },
  );
});
