/**
 * describeRule(id, body): the one way a spec file states which rule it checks. The title comes
 * from the catalogue (`P7: <title>`), the adapter from the Jest project, and the adapter is passed
 * explicitly (kit.mp), never through a global. Tests are declared with kit.test(), which gives each
 * test what the kit guarantees:
 *
 * - a budget: every adapter call and wait rejects, naming itself, before Jest's own timeout;
 * - after the body, whatever the test started is ended and reaped (SIGKILL to processes proven to
 *   be the test's, then join()), so a failure never cascades into the next test;
 * - a leak (a process the test left running, or a zombie) fails a test that otherwise passed,
 *   and is not reported on top of a test's own failure;
 * - known failures of this implementation (spec/expectations/) are checked, not skipped.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcessHandle, ProcessOptions } from '../adapter';
import { ruleById } from '../rules/catalogue';
import { probedCapabilities } from './capabilities';
import { RuleViolation, check, fail, isError, show, withCauseFirst } from './checks';
import { monotonicNow } from './clock';
import { stopWatching, watchExit } from './exit-watch';
import { loadExpectations, settle, type Expectation } from './expectations';
import { checkNoDescendants, endLeftovers } from './leaks';
import { currentChoice, loadAdapter, type KitAdapter } from './load-adapter';
import { Observations, writerOf, type Observation } from './observations';
import { describeEntries, descendants, type ProcessId } from './proc';
import { runProgram, type ProgramResult } from './programs';
import { startScenario, type Scenario } from './scenarios';
import { boundsFrom, measureYardstick, type Bounds } from './yardstick';

/** A child started through kit.start(): its handle, identity and the kit's own timings (monotonic ms). */
export interface Started {
  handle: ProcessHandle;
  /** The kit-issued token its records carry (`tok`): match records to it, never by pid alone. */
  token: string;
  /** The pid the implementation reported once start() resolved (null: none). */
  pid: number | null;
  /** Null when it had already ended and been reaped when the kit read /proc, or has no pid of its own. */
  id: ProcessId | null;
  startCalledAt: number;
  startReturnedAt: number;
  /** When /proc first showed it ended: the real exit, independent of the implementation. */
  exited: Promise<number>;
}

/** A file whose creation ends a gated fixture task (gatedExit, isolationProbe): the harness decides when. */
export interface Gate {
  readonly file: string;
  open(): void;
}

export interface TestOptions {
  /** Milliseconds the body may take, cleanup not included (default 20 s). */
  budget?: number;
}

export interface Kit {
  /** The adapter under test (valid inside tests and hooks). */
  readonly mp: KitAdapter;
  /** Observations written since the current test began. */
  readonly observations: Observations;
  /** A temp folder for this spec file, removed after it. */
  readonly tmpDir: string;
  /** Declares a test of this rule (see the file comment). */
  test(title: string, body: () => Promise<void>, options?: TestOptions): void;
  /** Timing bounds from the harness's own yardstick, measured now (spec/harness/yardstick.ts). */
  bounds(): Promise<Bounds>;
  /** Creates and starts a process; the kit times start() and watches the real exit. */
  start(options: ProcessOptions): Promise<Started>;
  /** The kit's record of a started handle (for handles started with handle.start() directly). */
  started(handle: ProcessHandle): Started;
  /** Ends and reaps what the current test started so far (between runs of a property). */
  cleanup(): Promise<void>;
  /** A new, closed gate in this spec file's temp folder. */
  gate(): Gate;
  /** Processes below Jest now, by identity: pass to expectNothingStarted(). */
  processTree(): ProcessId[];
  /**
   * The process tree once it has stopped changing (two reads `prompt` apart agree, at most 20
   * tries): a baseline that helpers an implementation starts on its own, late (our standby child's
   * refill, CPython's resource tracker), cannot be mistaken for a process a call under test started.
   */
  stillProcessTree(): Promise<ProcessId[]>;
  /**
   * Shows that nothing was started since `before`, from the harness's own view (the process tree
   * and the observation channel), never from the implementation's activeChildren(): waits as long
   * as a start may take, then fails naming any new process or record.
   */
  expectNothingStarted(before: readonly ProcessId[], after: string): Promise<void>;
  /** The test leaves `pid` running on purpose; the kit ends it after the test without calling it a leak. */
  leaveRunning(pid: number, why: string): void;
  /**
   * Reports a figure the rule shows but does not require (SH1's lost updates): printed, and kept for
   * `npm run report`'s notes.
   */
  note(text: string): void;
  /** Runs a fixture main program of this adapter's language to its end. */
  runProgram(name: string, args?: string[]): Promise<ProgramResult>;
  /**
   * Starts a fixture main program of this adapter's language and watches it from outside
   * (spec/harness/scenarios.ts). The kit ends the program and every process that wrote an
   * observation after the test, whatever its outcome; one left running is a leak unless declared
   * with leaveRunning().
   */
  scenario(name: string, args?: string[]): Scenario;
  /**
   * When /proc first showed this process ended (monotonic ms), for a process known from its own
   * records (the writer of an observation) or by identity; the wait is bounded by the test's budget.
   */
  exitOf(who: Observation | ProcessId): Promise<number>;
}

const DEFAULT_BUDGET_MS = 20_000;
const CLEANUP_MS = 20_000;
const LOAD_TIMEOUT_MS = 60_000;

const same = (a: ProcessId, b: ProcessId): boolean => a.pid === b.pid && a.startTime === b.startTime;

export function describeRule(id: string, body: (kit: Kit) => void): void {
  const rule = ruleById(id);
  if (rule.status !== 'specified') throw new Error(`rule ${id} is ${rule.status}: mark it specified in the catalogue first`);
  // Known before any test is registered (spec/harness/capabilities.ts): a rule that needs a member
  // the adapter lacks is unsupported, said in its title: its tests are not run, and one test checks
  // the claim itself (the members are really missing). Reports count that test as unsupported, never passed.
  const declared = probedCapabilities(currentChoice());
  const lacking = declared ? (rule.needs ?? []).filter((member) => !declared.has(member)) : [];
  const unsupported = lacking.length > 0 ? ` [unsupported: the implementation has no ${lacking.map((m) => `${m}()`).join(', no ')}]` : '';
  describe(`${id}: ${rule.title}${unsupported}`, () => {
    let adapter: KitAdapter | undefined;
    let expectations = new Map<string, Expectation>();
    let observations: Observations | undefined;
    let tmpDir: string | undefined;
    let gates = 0;

    const mp = (): KitAdapter => {
      if (!adapter) throw new Error('kit.mp is only available inside tests and hooks');
      return adapter;
    };
    const startedOf = (handle: ProcessHandle): Started => {
      const entry = mp().ledger.entryOf(handle);
      if (!entry || entry.startCalledAt === undefined || entry.startReturnedAt === undefined) {
        throw new Error('kit.started(): this handle was not started in the current test');
      }
      const a = mp();
      return {
        handle,
        token: a.tokenOf(handle),
        pid: entry.pid,
        id: entry.id,
        startCalledAt: entry.startCalledAt,
        startReturnedAt: entry.startReturnedAt,
        // Made when asked for: a guarded wait nobody awaits would reject unobserved at the deadline.
        get exited() {
          return a.guard(`the exit of ${entry.label}`, entry.exited());
        },
      };
    };

    const kit: Kit = {
      get mp() {
        return mp();
      },
      get observations() {
        if (!observations) throw new Error('kit.observations is only available inside tests');
        return observations;
      },
      get tmpDir() {
        tmpDir ??= mkdtempSync(join(tmpdir(), 'mp-kit-spec-'));
        return tmpDir;
      },
      test(title, testBody, { budget = DEFAULT_BUDGET_MS } = {}) {
        if (unsupported) return;
        it(
          title,
          async () => {
            const key = `${id} › ${title}`;
            const expected = expectations.get(key);
            observations = new Observations();
            const a = mp();
            a.ledger.reset();
            a.setDeadline(monotonicNow() + budget);
            let failure: unknown;
            try {
              await testBody();
            } catch (error) {
              failure = error;
            }
            a.setDeadline(undefined);
            // Children the test never had a handle for (grandchildren) are known from their own records.
            followWriters();
            let leak: string | null;
            try {
              leak = await endLeftovers(a.ledger);
            } finally {
              stopWatching();
            }
            failure = withCauseFirst(failure);
            // Jest prints a thrown non-Error whole (a handle runs to kilobytes): one bounded line instead.
            if (failure !== undefined && !isError(failure)) failure = new RuleViolation(`the test threw ${show(failure)}, not an Error`);
            const broken = await a.ledger.violations();
            if (failure === undefined && broken.length > 0) failure = new RuleViolation(broken.join('\n'));
            if (failure === undefined && leak !== null) {
              failure = new RuleViolation(`leak: the test left processes behind (each must end and be joined): ${leak}`);
            }
            settle(key, failure, expected, a.name);
          },
          budget + CLEANUP_MS,
        );
      },
      bounds: async () => boundsFrom(await measureYardstick(mp())),
      start: async (options) => {
        const handle = await mp().Process(options);
        await handle.start();
        return startedOf(handle);
      },
      started: startedOf,
      cleanup: async () => {
        await endLeftovers(mp().ledger);
      },
      gate: () => {
        const file = join(kit.tmpDir, `gate-${++gates}`);
        return { file, open: () => writeFileSync(file, '') };
      },
      processTree: () => descendants(process.pid).map((p) => ({ pid: p.pid, startTime: p.startTime })),
      stillProcessTree: async () => {
        const { prompt } = await kit.bounds();
        let before = kit.processTree();
        for (let tries = 0; tries < 20; tries++) {
          await sleep(prompt);
          const now = kit.processTree();
          const still = now.length === before.length && now.every((p) => before.some((q) => same(p, q)));
          before = now;
          if (still) break;
        }
        return before;
      },
      expectNothingStarted: async (before, after) => {
        const { start, prompt } = await kit.bounds();
        await sleep(start + prompt);
        const fresh = descendants(process.pid).filter((p) => !before.some((b) => same(b, p)) && !mp().ledger.isProtected(p.pid));
        const records = kit.observations.all();
        if (fresh.length > 0) fail(`${after}, a process was started anyway: ${describeEntries(fresh)}`);
        if (records.length > 0) fail(`${after}, a child ran anyway: it recorded ${show(records.map((o) => o.event))}`);
      },
      leaveRunning: (pid, why) => {
        followWriters();
        mp().ledger.leaveRunning(pid, why);
      },
      note: (text) => {
        process.stdout.write(`note (${id} on ${mp().name}): ${text}\n`);
        const file = process.env.KIT_ADAPTER_INFO;
        if (file) appendFileSync(file, JSON.stringify({ choice: currentChoice(), rule: id, note: text }) + '\n');
      },
      runProgram: (name, args = []) => runProgram(mp().program(name, args)),
      scenario: (name, args = []) => {
        const label = `the program '${name}'${args.length > 0 ? ` (${args.join(' ')})` : ''}`;
        return startScenario(
          mp().program(name, args),
          label,
          (id) => mp().ledger.addObserved(id, label),
          mp().guard,
          () => kit.observations,
        );
      },
      exitOf: (who) => {
        const id = 'event' in who ? writerOf(who) : who;
        const label = 'event' in who ? `the writer of '${who.event}' [${who.tok}] (pid ${who.pid})` : `pid ${id.pid}`;
        mp().ledger.addObserved(id, label);
        return mp().guard(`the exit of ${label}`, watchExit(id));
      },
    };
    /** Puts every process that wrote a record in the current test in the ledger: the kit ends them after it. */
    const followWriters = (): void => {
      const a = mp();
      for (const o of observations?.all() ?? []) {
        if (typeof o.st !== 'number' || a.ledger.isProtected(o.pid)) continue;
        a.ledger.addObserved(writerOf(o), `the writer of '${o.event}' [${String(o.tok)}]`);
      }
    };

    beforeAll(async () => {
      adapter = await loadAdapter(currentChoice());
      expectations = loadExpectations(adapter.name);
      tellReport(adapter);
      // The process that creates the children is never signalled by the kit, whatever happens.
      const creator = (await adapter.currentProcess()).pid;
      if (creator !== null) adapter.ledger.protect(creator);
      // One process started and joined before any test, so that helper processes an implementation
      // starts lazily (CPython's fork server and resource tracker, our standby child) already exist
      // when a test compares process trees.
      const warmUp = await adapter.Process({ target: 'noop' });
      await warmUp.start();
      await warmUp.join();
      adapter.ledger.reset();
    }, LOAD_TIMEOUT_MS);
    afterAll(async () => {
      try {
        await adapter?.close();
      } finally {
        if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
      }
      if (adapter) await checkNoDescendants(adapter.ledger);
    }, LOAD_TIMEOUT_MS);

    if (unsupported) {
      it('unsupported: the implementation really lacks what the rule needs', () => {
        for (const member of lacking) {
          check.equal(`typeof ${member} of the adapter`, typeof mp()[member], 'undefined');
          check.equal(`the capability '${member}'`, mp().capabilities.has(member), false);
        }
      });
    }
    body(kit);
  });
}

/**
 * Tells `npm run report` which implementation a choice turned out to be (its name, which names its
 * expectations file, and its description: interpreter, version, module), through the file named by
 * KIT_ADAPTER_INFO, one JSON line per spec file.
 */
function tellReport(adapter: KitAdapter): void {
  const file = process.env.KIT_ADAPTER_INFO;
  if (!file) return;
  const { name, description = null } = adapter;
  appendFileSync(file, JSON.stringify({ choice: currentChoice(), name, description, capabilities: [...adapter.capabilities] }) + '\n');
}
