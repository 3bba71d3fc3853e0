import fc from 'fast-check';
import type { ProcessHandle } from '../adapter';
import { describeRule } from '../harness/describe-rule';

/**
 * Bounds are built from this run's start-to-join overhead of one process, `o`, through the unit
 * u = max(o, 30 ms) (the floor covers timer and scheduling jitter where o is tiny, as under fork):
 * children started together finish within max(d) + 2·n·u; one at a time they need at least sum(d)
 * and at most sum(d) + 2·n·u. Durations are 5-10 units, so sum(d) - max(d) >= 5u always exceeds
 * the 2·n·u slack (4u for two children, 6u for three, against 5u and 10u): a join that waited for
 * children one after another could not pass the first bound.
 */
describeRule('P7', (kit) => {
  const scenario = fc.array(fc.integer({ min: 5, max: 10 }), { minLength: 2, maxLength: 3 }).chain((units) =>
    fc.record({
      units: fc.constant(units),
      joinOrder: fc.shuffledSubarray([...units.keys()], { minLength: units.length, maxLength: units.length }),
    }),
  );

  it('started together and joined in any order: about the longest, not the sum (property, 3 runs)', async () => {
    const { startJoin: o } = await kit.overhead();
    const unit = Math.max(o, 30);
    await fc.assert(
      fc.asyncProperty(scenario, async ({ units, joinOrder }) => {
        const durations = units.map((u) => u * unit);
        const longest = Math.max(...durations);
        const children: ProcessHandle[] = [];
        for (const d of durations) children.push(await kit.mp.Process({ target: 'sleepFor', args: [d] }));
        const begin = performance.now();
        for (const p of children) await p.start();
        for (const i of joinOrder) await children[i]!.join();
        const elapsed = performance.now() - begin;
        expect(elapsed).toBeGreaterThanOrEqual(longest - 5);
        expect(elapsed).toBeLessThanOrEqual(longest + 2 * durations.length * unit);
      }),
      { numRuns: 3 },
    );
  }, 120_000);

  it("start-then-join in a loop (seed 002's wrong optimisation): about the sum (property, 2 runs)", async () => {
    const { startJoin: o } = await kit.overhead();
    const unit = Math.max(o, 30);
    await fc.assert(
      fc.asyncProperty(scenario, async ({ units }) => {
        const durations = units.map((u) => u * unit);
        const total = durations.reduce((a, b) => a + b, 0);
        const begin = performance.now();
        for (const d of durations) {
          const p = await kit.mp.Process({ target: 'sleepFor', args: [d] });
          await p.start();
          await p.join();
        }
        const elapsed = performance.now() - begin;
        expect(elapsed).toBeGreaterThanOrEqual(total - 5);
        expect(elapsed).toBeLessThanOrEqual(total + 2 * durations.length * unit);
      }),
      { numRuns: 2 },
    );
  }, 120_000);
});
