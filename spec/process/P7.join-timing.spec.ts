import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { check, fail } from '../harness/checks';
import { monotonicNow } from '../harness/clock';
import { within } from '../harness/deadline';
import { describeRule, type Gate, type Started } from '../harness/describe-rule';
import { hasEnded } from '../harness/proc';

/**
 * Seed 002 starts children of 1, 2 and 3 s and joins them: in order, each join returns at its own
 * child's end; in reverse order, all at the end of the longest; in a start-then-join loop, the
 * total is the sum. Here each child waits on its own gate, the harness opens the gates in a chosen
 * order, and every join() is checked against its own child's real exit (from /proc): it returns
 * when that child has ended (or at once if it already had), never waiting for the others. Before
 * any gate opens, all children must be running at the same time, which a pool of limited size
 * cannot do.
 */
describeRule('P7', (kit) => {
  const runAll = async (count: number, exitOrder: readonly number[], joinOrder: readonly number[]): Promise<void> => {
    const b = await kit.bounds();
    const gates: Gate[] = [];
    const children: Started[] = [];
    for (let i = 0; i < count; i++) {
      gates.push(kit.gate());
      // P1 bounds one start(); here a start() that waits for another child to end shows as never returning.
      const start = kit.start({ target: 'gatedExit', args: [gates[i]!.file, 0] });
      children.push(await within(start, 10 * b.start, `start() of child ${i + 1} of ${count} (${i} running, none ended)`));
    }
    let opening: Promise<void> = Promise.resolve();
    let stopOpening = false;
    try {
      // Concurrency: every child's task runs before any of them may end.
      const tokens = children.map((c) => c.token);
      const started = await kit.observations.waitFor('started', { count, tok: tokens, timeout: 15_000 }).catch(() => {
        fail(
          `only ${kit.observations.of('started', tokens).length} of ${count} children were running at once (all had been started, none had ended)`,
        );
      });
      check.equal('children running at once', new Set(started.map((o) => o.tok)).size, count);

      // Exits twice the bound apart: a join() that waited for the next child's exit is late by at least the spacing.
      const spacing = 2 * b.prompt;
      opening = (async () => {
        for (const i of exitOrder) {
          await sleep(spacing);
          if (stopOpening) return; // the test failed and opened every gate itself
          gates[i]!.open();
        }
      })();
      let previous = monotonicNow();
      for (const i of joinOrder) {
        const child = children[i]!;
        await child.handle.join();
        const returnedAt = monotonicNow();
        if (child.id && !hasEnded(child.id)) fail(`join() of child ${i} returned while it was still running`);
        const exitedAt = await child.exited;
        // From the later of its child's exit and the moment it was called.
        const late = returnedAt - Math.max(exitedAt, previous);
        check.atMost(
          `lateness of join() of child ${i} after its own child's exit (exit order ${exitOrder.join(',')}, join order ${joinOrder.join(',')})`,
          late,
          b.prompt,
          b.basis,
        );
        previous = returnedAt;
      }
      await opening;
    } finally {
      // Even after a failure, no gate is opened once this run is over (its folder may be gone by then).
      stopOpening = true;
      for (const gate of gates) gate.open();
      await opening;
      await kit.cleanup();
    }
  };

  const scenario = fc
    .integer({ min: 2, max: 5 })
    .chain((n) =>
      fc.tuple(
        fc.constant(n),
        fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
        fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
      ),
    );

  kit.test(
    "children started together all run at once, and each join() returns at its own child's end, in any order (property, 6 runs)",
    async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async ([n, exitOrder, joinOrder]) => runAll(n, exitOrder, joinOrder)),
        {
          numRuns: 6,
          // Seed 002's two orders (join in exit order; join in reverse), and five at once.
          examples: [[[3, [0, 1, 2], [0, 1, 2]]], [[3, [2, 1, 0], [0, 1, 2]]], [[5, [0, 1, 2, 3, 4], [4, 3, 2, 1, 0]]]],
        },
      );
    },
    { budget: 120_000 },
  );

  kit.test("start-then-join in a loop (seed 002's wrong optimisation) runs the children one after another", async () => {
    const b = await kit.bounds();
    const durations = [1, 2, 3].map((k) => k * 2 * b.prompt);
    const begin = monotonicNow();
    const runs: { started: number; finished: number; exited: number }[] = [];
    for (const d of durations) {
      const child = await kit.start({ target: 'sleepFor', args: [d] });
      await child.handle.join();
      const [started] = kit.observations.of('started', child.token);
      const [finished] = kit.observations.of('finished', child.token);
      check.that(started !== undefined && finished !== undefined, `the child sleeping ${d} ms did not record its start and end`);
      runs.push({ started: started.t, finished: finished.t, exited: await child.exited });
    }
    for (let i = 1; i < runs.length; i++) {
      check.that(runs[i]!.started >= runs[i - 1]!.exited, `child ${i} started before child ${i - 1} had ended: the loop ran them together`);
    }
    const total = monotonicNow() - begin;
    const sum = durations.reduce((a, d) => a + d, 0);
    check.atLeast('duration of the loop', total, sum, 'the sum of the sleeps: one child at a time');
  });
});
