import { check } from '../harness/checks';
import { monotonicNow } from '../harness/clock';
import { maker } from '../harness/critical-sections';
import { describeRule } from '../harness/describe-rule';
import { rejectsWithCode } from '../harness/expect-error';

const EARLY_MS = 2;

describeRule('Q4', (kit) => {
  kit.test('on a full queue, put without waiting raises Full at once, and put with a timeout after about it', async () => {
    const b = await kit.bounds();
    const queue = await maker(kit.mp, 'Queue')(2);
    await queue.put('a');
    await queue.put('b');
    for (const [what, options, expected] of [
      ['put(block: false)', { block: false }, 0],
      [`put(timeout: ${Math.round(3 * b.prompt)})`, { timeout: Math.round(3 * b.prompt) }, Math.round(3 * b.prompt)],
      [`put(timeout: ${Math.round(8 * b.prompt)})`, { timeout: Math.round(8 * b.prompt) }, Math.round(8 * b.prompt)],
    ] as const) {
      const begin = monotonicNow();
      await rejectsWithCode(() => queue.put('c', options), 'ERR_MP_FULL');
      const elapsed = monotonicNow() - begin;
      if (expected > 0) check.atLeast(`duration of ${what}`, elapsed, expected - EARLY_MS, 'it must wait the whole timeout');
      check.atMost(`overrun of ${what} past ${expected} ms`, elapsed - expected, b.prompt, b.basis);
    }
    check.equal('qsize() of the full queue after the refused puts', await queue.qsize(), 2);
    check.equal('first item', await queue.get({ timeout: 10_000 }), 'a');
    check.equal('second item', await queue.get({ timeout: 10_000 }), 'b');
  });
});
