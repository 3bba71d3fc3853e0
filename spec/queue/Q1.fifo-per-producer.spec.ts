import fc from 'fast-check';
import type { Json } from '../adapter';
import { check } from '../harness/checks';
import { maker } from '../harness/critical-sections';
import { describeRule } from '../harness/describe-rule';

/**
 * Detection: every item names its producer and its place, so the parent checks exactly, per
 * producer, that the items came out 0, 1, 2... with none missing or repeated, then that the queue
 * is empty. The producers are released together by a gate, so their puts interleave.
 */
describeRule('Q1', (kit) => {
  kit.test("each producer's items come out in its order, all of them, once (property, 5 runs)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 25 }), { minLength: 1, maxLength: 3 }), async (counts) => {
        const queue = await maker(kit.mp, 'Queue')();
        const gate = kit.gate();
        const producers = [];
        for (const [p, n] of counts.entries()) {
          const items: Json[] = Array.from({ length: n }, (_, i) => ({ p, i }));
          producers.push(await kit.start({ target: 'produce', args: [queue, items, gate.file] }));
        }
        await kit.observations.waitFor('ready', { tok: producers.map((c) => c.token), count: producers.length });
        gate.open();
        const total = counts.reduce((a, b) => a + b, 0);
        const got: { p: number; i: number }[] = [];
        for (let k = 0; k < total; k++) got.push((await queue.get({ timeout: 10_000 })) as { p: number; i: number });
        for (const child of producers) await child.handle.join();
        for (const [p, n] of counts.entries()) {
          check.equal(
            `the items of producer ${p}, in the order got`,
            got.filter((x) => x.p === p),
            Array.from({ length: n }, (_, i) => ({ p, i })),
          );
        }
        const rest = await queue.get({ block: false }).then(
          (item) => item,
          () => 'none',
        );
        check.equal('what is left once every item came out', rest, 'none');
        await kit.cleanup();
      }),
      { numRuns: 5 },
    );
  });

  kit.test("a consumer child gets one producer child's items in order", async () => {
    const queue = await maker(kit.mp, 'Queue')();
    const items = Array.from({ length: 200 }, (_, i) => i);
    // A timeout on each get, far above any hand-off: a lost item ends the consumer with a record, not a hang.
    const consumer = await kit.start({ target: 'consume', args: [queue, items.length, 5000] });
    const producer = await kit.start({ target: 'produce', args: [queue, items, null] });
    await producer.handle.join();
    await consumer.handle.join();
    check.equal('what the consumer got', kit.observations.of('consumed', consumer.token)[0]?.items, items);
  });
});
