import { check } from '../harness/checks';
import { monotonicNow } from '../harness/clock';
import { maker } from '../harness/critical-sections';
import { describeRule } from '../harness/describe-rule';

const ITEMS = 2000;

/**
 * Detection: a bound of any size below ITEMS makes a put wait; each put must return as fast as the
 * adapter's own round trip allows (no put may take `prompt`), and full() stays false throughout.
 */
describeRule('Q7', (kit) => {
  kit.test(
    `a queue without maxsize (and with 0) takes ${ITEMS} items from a child with nobody getting, and full() stays false`,
    async () => {
      const b = await kit.bounds();
      for (const maxsize of [undefined, 0]) {
        const queue = await maker(kit.mp, 'Queue')(...(maxsize === undefined ? [] : [maxsize]));
        const items = Array.from({ length: ITEMS }, (_, i) => i);
        const producer = await kit.start({ target: 'produce', args: [queue, items, null] });
        const [done] = await kit.observations.waitFor('produced', { tok: producer.token, timeout: 15_000 });
        check.equal(`puts that returned, Queue(${String(maxsize ?? '')})`, done!.count, ITEMS);
        check.equal(`full() with ${ITEMS} items in it`, await queue.full(), false);
        const begin = monotonicNow();
        let k = 0;
        for (; k < ITEMS; k++) if ((await queue.get({ timeout: 10_000 })) !== k) break;
        check.equal('items got back in order', k, ITEMS);
        check.atMost(`time to get ${ITEMS} items back`, monotonicNow() - begin, ITEMS * b.prompt, b.basis);
        await producer.handle.join();
        await kit.cleanup();
      }
    },
  );
});
