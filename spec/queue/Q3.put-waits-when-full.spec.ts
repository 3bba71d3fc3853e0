import { setTimeout as sleep } from 'node:timers/promises';
import { check } from '../harness/checks';
import { monotonicNow } from '../harness/clock';
import { maker } from '../harness/critical-sections';
import { describeRule } from '../harness/describe-rule';

/**
 * Detection: the producer records each put as it returns. While the queue is full, no further put
 * returns for several prompts (a put that does not wait fails); after each get() in the parent, the
 * next put returns within `prompt` (a put that wakes late, or not at all, fails).
 */
describeRule('Q3', (kit) => {
  kit.test('a child putting into a full queue waits, and goes on promptly each time the parent takes an item', async () => {
    const b = await kit.bounds();
    const maxsize = 2;
    const queue = await maker(kit.mp, 'Queue')(maxsize);
    const items = [0, 1, 2, 3, 4];
    const producer = await kit.start({ target: 'produce', args: [queue, items, null] });
    const puts = (): number => kit.observations.of('put', producer.token).length;
    await kit.observations.waitFor('put', { tok: producer.token, count: maxsize });
    for (let taken = 0; taken < items.length - maxsize; taken++) {
      await sleep(3 * b.prompt);
      check.equal(`puts returned while the queue was full (after ${taken} get(s))`, puts(), maxsize + taken);
      const before = monotonicNow();
      check.equal(`item ${taken} got by the parent`, await queue.get({ timeout: 10_000 }), taken);
      const [next] = (await kit.observations.waitFor('put', { tok: producer.token, count: maxsize + taken + 1 })).slice(-1);
      check.atMost(`delay of put ${maxsize + taken} after the parent's get()`, next!.t - before, b.prompt, b.basis);
    }
    for (let k = items.length - maxsize; k < items.length; k++) check.equal(`item ${k}`, await queue.get({ timeout: 10_000 }), k);
    await producer.handle.join();
  });
});
