import { check } from '../harness/checks';
import { maker } from '../harness/critical-sections';
import { describeRule } from '../harness/describe-rule';

const N = 40;
const SENTINEL = 'stop';

describeRule('Q8', (kit) => {
  kit.test('a producer child, a consumer child and the parent share one queue: each item reaches exactly one taker', async () => {
    const queue = await maker(kit.mp, 'Queue')();
    const consumer = await kit.start({ target: 'consumeUntilSentinel', args: [queue, SENTINEL, 5000] });
    const items = Array.from({ length: N }, (_, i) => i);
    const producer = await kit.start({ target: 'produce', args: [queue, items, null] });
    // The parent takes what it can while the consumer child competes: how the items split is not
    // the rule (a consumer blocked in CPython's get() holds the read lock, so it may take them all).
    const b = await kit.bounds();
    const mine: number[] = [];
    for (;;) {
      const item = await queue.get({ timeout: Math.round(2 * b.prompt) }).then(
        (got) => got as number,
        (error: { code?: unknown }) => (error.code === 'ERR_MP_EMPTY' ? null : Promise.reject(error)),
      );
      if (item === null) break;
      mine.push(item);
    }
    await producer.handle.join();
    await queue.put(SENTINEL);
    await consumer.handle.join();
    const theirs = (kit.observations.of('consumed', consumer.token)[0]?.items ?? []) as number[];
    check.equal(
      'items got by the parent and the consumer child, together, sorted',
      [...mine, ...theirs].sort((a, b) => a - b),
      items,
    );
    check.equal(
      'items the parent got, in order',
      mine,
      [...mine].sort((a, b) => a - b),
    );
    check.equal(
      'items the consumer child got, in order',
      theirs,
      [...theirs].sort((a, b) => a - b),
    );
  });
});
