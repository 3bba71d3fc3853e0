import { setTimeout as sleep } from 'node:timers/promises';
import type { QueueHandle } from '../adapter';
import { check, fail } from '../harness/checks';
import { monotonicNow } from '../harness/clock';
import { maker } from '../harness/critical-sections';
import { describeRule } from '../harness/describe-rule';

/** Polls `read` until it gives `expected` or `within` ms pass; returns the last answer. */
async function settlesTo<T>(read: () => Promise<T>, expected: T, within: number): Promise<T> {
  const end = monotonicNow() + within;
  let last = await read();
  while (last !== expected && monotonicNow() < end) {
    await sleep(2);
    last = await read();
  }
  return last;
}

const snapshot = async (q: QueueHandle) => ({ qsize: await q.qsize(), empty: await q.empty(), full: await q.full() });

/**
 * Detection: once the producers have ended and nothing moves, the three answers are checked
 * exactly; right after a put in the same process only qsize() must be exact at once (CPython's
 * empty() waits for its feeder thread), and empty() must settle within `prompt`.
 */
describeRule('Q6', (kit) => {
  kit.test('once the producers have ended, qsize(), empty() and full() are exact, and follow each get()', async () => {
    const maxsize = 3;
    const queue = await maker(kit.mp, 'Queue')(maxsize);
    const producer = await kit.start({ target: 'produce', args: [queue, ['a', 'b', 'c'], null] });
    await producer.handle.join();
    check.equal('qsize(), empty(), full() with 3 items in a Queue(3)', await snapshot(queue), { qsize: 3, empty: false, full: true });
    await queue.get({ timeout: 10_000 });
    check.equal('... after one get()', await snapshot(queue), { qsize: 2, empty: false, full: false });
    await queue.get({ timeout: 10_000 });
    await queue.get({ timeout: 10_000 });
    check.equal('... after three get()s', await snapshot(queue), { qsize: 0, empty: true, full: false });
  });

  kit.test('right after a put in the same process, qsize() counts it at once and empty() settles to false promptly', async () => {
    const b = await kit.bounds();
    const queue = await maker(kit.mp, 'Queue')();
    await queue.put('x');
    check.equal('qsize() right after put()', await queue.qsize(), 1);
    const empty = await settlesTo(() => queue.empty(), false, b.prompt);
    if (empty) fail(`empty() still said true ${Math.round(b.prompt)} ms after put() (${b.basis})`);
    check.equal('the item', await queue.get({ timeout: 10_000 }), 'x');
    check.equal('empty() after it was taken', await queue.empty(), true);
  });
});
