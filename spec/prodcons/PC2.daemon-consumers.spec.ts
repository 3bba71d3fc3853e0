import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { grace } from '../daemon/daemon-at-exit';
import { check, fail, show } from '../harness/checks';
import { monotonicNow } from '../harness/clock';
import { within } from '../harness/deadline';
import { describeRule, type Kit } from '../harness/describe-rule';
import type { Observation } from '../harness/observations';
import { hasEnded, identify, type ProcessId } from '../harness/proc';
import type { ProgramEnd, Scenario } from '../harness/scenarios';
import type { Bounds } from '../harness/yardstick';

const PROGRAM = 'daemonConsumers';
const WAIT_MS = 10_000;

interface Shape {
  producers: number;
  consumers: number;
  /** Items each producer puts. */
  items: number;
}

/** One run of the program (a property runs it several times in one test, so records are told apart by time). */
interface Run {
  kit: Kit;
  shape: Shape;
  scenario: Scenario;
  b: Bounds;
  /** The daemon consumers, from the program's own record of their pids, identified in /proc at once. */
  consumers: { tok: string; pid: number; id: ProcessId | null }[];
}

const recordsOf = (run: Run, event: string): Observation[] => run.kit.observations.of(event).filter((o) => o.t >= run.scenario.startedAt);
const endedConsumers = (run: Run): string[] => run.consumers.filter((c) => c.id === null || hasEnded(c.id)).map((c) => c.tok);

/** Waits for `count` records of `event` of this run; the failure says which consumers had ended and what the program printed. */
async function waitFor(run: Pick<Run, 'kit' | 'scenario'> & Partial<Run>, event: string, count: number): Promise<Observation[]> {
  const deadline = monotonicNow() + WAIT_MS;
  for (;;) {
    const found = recordsOf(run as Run, event);
    if (found.length >= count) return found;
    if (monotonicNow() > deadline) {
      const ended = run.consumers ? `; consumers already ended: ${show(endedConsumers(run as Run))}` : '';
      fail(`no ${count} '${event}' record(s) within ${WAIT_MS} ms (saw ${found.length})${ended}; ${run.scenario.transcript()}`);
    }
    await sleep(2);
  }
}

/** Every item processed exactly once, by the consumer process whose token the record carries. */
function expectEachItemOnce(run: Run): Map<unknown, number> {
  const { producers, items } = run.shape;
  const processed = recordsOf(run, 'processed');
  const expected = Array.from({ length: producers }, (_, p) => Array.from({ length: items }, (__, i) => `p${p}-${i}`)).flat();
  check.equal('items processed by the consumers, sorted', processed.map((o) => o.item as string).sort(), expected.sort());
  const strangers = processed.filter((o) => !run.consumers.some((c) => c.tok === o.tok && c.pid === o.pid));
  check.equal(
    'items processed by a process that is not the consumer it names',
    strangers.map((o) => `${o.tok} (pid ${o.pid})`),
    [],
  );
  return new Map(processed.map((o) => [o.item, o.t]));
}

/**
 * Every producer's join() returned after the 'processed' record of every item whose put() had
 * returned before that join() began (each consumer records before its task_done()).
 */
function expectJoinsWaited(run: Run, processedAt: ReadonlyMap<unknown, number>): void {
  const puts = recordsOf(run, 'put');
  for (let p = 0; p < run.shape.producers; p++) {
    const tok = `${PROGRAM}.p${p}`;
    const joining = recordsOf(run, 'joining').filter((o) => o.tok === tok);
    const joined = recordsOf(run, 'joined').filter((o) => o.tok === tok);
    check.equal(`'joining' and 'joined' records of producer p${p}`, [joining.length, joined.length], [1, 1]);
    for (const put of puts.filter((o) => o.t < joining[0]!.t)) {
      const at = processedAt.get(put.item)!;
      if (!(at < joined[0]!.t)) {
        fail(
          `producer p${p}'s join() on the queue returned before item ${show(put.item)}, put before that join() began, was processed: ` +
            `it returned at ${joined[0]!.t.toFixed(1)} ms, the item was processed at ${at.toFixed(1)} ms`,
        );
      }
    }
  }
  const [queueJoined] = recordsOf(run, 'queueJoined');
  const last = Math.max(...processedAt.values());
  check.that(queueJoined!.t > last, "the main program's join() on the queue returned before the last item was processed");
}

/** The program's own exit (not its output's end), polled every 2 ms until `limit` ms from now; null if it runs on. */
async function exitWithin(scenario: Scenario, limit: number): Promise<ProgramEnd | null> {
  const deadline = monotonicNow() + limit;
  while (scenario.exited() === null && monotonicNow() < deadline) await sleep(2);
  return scenario.exited();
}

/**
 * Lets the main code end and sees, within the daemons' grace of that end (D2: a start's bound plus a
 * prompt one), the program exit and every daemon consumer end; then the program's exit code 0, what
 * it printed, and no error. A process still running at the grace's end is named as such.
 */
async function expectCleanEnd(run: Run, gate: { open(): void }, consumerEnds: readonly Promise<number>[]): Promise<void> {
  const { scenario, b } = run;
  gate.open();
  const limit = grace(b);
  const end = await exitWithin(scenario, limit);
  if (end === null) {
    const running = run.consumers.filter((c) => c.id !== null && !hasEnded(c.id)).map((c) => c.tok);
    fail(
      `the program was still running ${limit.toFixed(1)} ms after its main code's end (${b.basis}); consumers still running: ${show(running)}`,
    );
  }
  const mainEnd = recordsOf(run, 'mainEnd');
  check.equal(
    "writers of the main code's 'mainEnd' record",
    mainEnd.map((o) => o.pid),
    [scenario.pid],
  );
  for (const [c, exit] of consumerEnds.entries()) {
    const left = mainEnd[0]!.t + limit - monotonicNow();
    const late = `daemon consumer c${c} was still running ${limit.toFixed(1)} ms after the main code's end (${b.basis})`;
    const ended = await within(exit, left, `the end of daemon consumer c${c}`, late);
    check.atMost(`end of daemon consumer c${c} after the main code's end`, ended - mainEnd[0]!.t, limit, b.basis);
  }
  // Every line read: a helper of the implementation holding the program's output may outlive it a moment.
  await scenario.ended;
  const stdout = scenario.lines('stdout').map((l) => JSON.parse(l.text) as unknown);
  const outcome = { exitCode: end.exitCode, signal: end.signal, stdout, stderr: scenario.lines('stderr').map((l) => l.text) };
  const producerExitCodes = Array<number>(run.shape.producers).fill(0);
  check.equal('end of the program', outcome, { exitCode: 0, signal: null, stdout: [{ producerExitCodes }], stderr: [] });
}

/**
 * One run of the program: every item processed exactly once, each producer's join() returning only
 * after the items put before it were processed, the consumers still running while the main code
 * waits and ending promptly after its end, the program exiting 0.
 */
async function runProgram(kit: Kit, shape: Shape): Promise<void> {
  const b = await kit.bounds();
  const gate = kit.gate();
  const scenario = kit.scenario(PROGRAM, [shape.producers, shape.consumers, shape.items, gate.file].map(String));
  const [started] = await waitFor({ kit, scenario }, 'consumers', 1);
  const pids = started!.pids as number[];
  check.equal('consumers the program started', pids.length, shape.consumers);
  const consumers = pids.map((pid, c) => ({ tok: `${PROGRAM}.c${c}`, pid, id: identify(pid) }));
  const run: Run = { kit, shape, scenario, b, consumers };
  // Watched from now, while they run, so /proc stamps each end when it happens.
  const consumerEnds = consumers.map((c) => (c.id ? kit.exitOf(c.id) : Promise.resolve(Number.NaN)));
  await waitFor(run, 'queueJoined', 1);

  expectJoinsWaited(run, expectEachItemOnce(run));
  // From /proc, a while after the main program joined the queue: the producers have ended (it
  // joined them), and the consumers still loop, ended neither by the producers' ends nor by the joins.
  await sleep(b.prompt);
  const producersLeft = recordsOf(run, 'joined').filter((o) => !hasEnded({ pid: o.pid, startTime: o.st }));
  check.equal(
    'producers still running once the main program joined them',
    producersLeft.map((o) => o.tok),
    [],
  );
  const endedEarly = endedConsumers(run);
  if (endedEarly.length > 0) {
    fail(
      `consumers that ended before the main code did (${b.prompt.toFixed(1)} ms after its join() on the queue): ${show(endedEarly)}; ${scenario.transcript()}`,
    );
  }

  await expectCleanEnd(run, gate, consumerEnds);
}

/**
 * Detection: a join() that returns before the last task_done() (or at once), a lost or duplicated
 * item, consumers that are not daemons (the program does not exit), daemons ended with the producers
 * or long after the main code, a program that exits non-zero or prints errors. The property varies
 * the counts, with none to consume among them.
 */
describeRule('PC2', (kit) => {
  const shapes: [string, Shape][] = [
    ["seed 004's shape", { producers: 2, consumers: 2, items: 3 }],
    ["seed 001's shape", { producers: 3, consumers: 2, items: 5 }],
    ['nothing to consume', { producers: 1, consumers: 3, items: 0 }],
  ];
  for (const [label, { producers, consumers, items }] of shapes) {
    kit.test(
      `${producers} producer(s) of ${items} item(s), ${consumers} daemon consumer(s) (${label}): each item processed once, join() after the last task_done(), daemons end with the main code`,
      () => runProgram(kit, { producers, consumers, items }),
    );
  }

  kit.test(
    'any small numbers of producers, consumers and items (property, 4 runs)',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            producers: fc.integer({ min: 1, max: 3 }),
            consumers: fc.integer({ min: 1, max: 3 }),
            items: fc.integer({ min: 0, max: 6 }),
          }),
          async (shape) => {
            await runProgram(kit, shape);
            await kit.cleanup();
          },
        ),
        { numRuns: 4 },
      );
    },
    { budget: 60_000 },
  );
});
