import fc from 'fast-check';
import { check } from '../harness/checks';
import { maker } from '../harness/critical-sections';
import { describeRule } from '../harness/describe-rule';

const SENTINEL = null;
const GET_TIMEOUT_MS = 5000;

describeRule('PC1', (kit) => {
  kit.test('M consumers, M sentinels: each consumer stops at one, and every item is consumed exactly once (property, 5 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 0, max: 30 }),
        async (m, producersCount, n) => {
          const queue = await maker(kit.mp, 'Queue')();
          const consumers = [];
          // A timeout on each get, far above any hand-off: a lost item or sentinel ends a consumer with a record, not a hang.
          for (let c = 0; c < m; c++)
            consumers.push(await kit.start({ target: 'consumeUntilSentinel', args: [queue, SENTINEL, GET_TIMEOUT_MS] }));
          const all: string[] = [];
          const producers = [];
          for (let p = 0; p < producersCount; p++) {
            const items = Array.from({ length: n }, (_, i) => `p${p}-${i}`);
            all.push(...items);
            producers.push(await kit.start({ target: 'produce', args: [queue, items, null] }));
          }
          for (const producer of producers) await producer.handle.join();
          for (let c = 0; c < m; c++) await queue.put(SENTINEL);
          for (const consumer of consumers) await consumer.handle.join();
          for (const consumer of consumers) check.equal(`exit code of consumer [${consumer.token}]`, await consumer.handle.exitCode(), 0);
          const records = consumers.map((c) => kit.observations.of('consumed', c.token)[0]);
          check.equal('consumers that stopped at a sentinel', records.filter((r) => r?.sentinel === true).length, m);
          const consumed = records.flatMap((r) => (r?.items ?? []) as string[]);
          check.equal(`items consumed by ${m} consumers, sorted`, [...consumed].sort(), [...all].sort());
          check.equal('items left in the queue', await queue.qsize(), 0);
          await kit.cleanup();
        },
      ),
      { numRuns: 5 },
    );
  });
});
