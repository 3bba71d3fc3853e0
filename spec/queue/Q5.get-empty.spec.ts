import { check } from '../harness/checks';
import { monotonicNow } from '../harness/clock';
import { maker } from '../harness/critical-sections';
import { describeRule } from '../harness/describe-rule';
import { rejectsWithCode } from '../harness/expect-error';

const EARLY_MS = 2;

describeRule('Q5', (kit) => {
  kit.test('on an empty queue, get without waiting raises Empty at once, and get with a timeout after about it', async () => {
    const b = await kit.bounds();
    const queue = await maker(kit.mp, 'Queue')();
    for (const [what, options, expected] of [
      ['get(block: false)', { block: false }, 0],
      [`get(timeout: ${Math.round(3 * b.prompt)})`, { timeout: Math.round(3 * b.prompt) }, Math.round(3 * b.prompt)],
      [`get(timeout: ${Math.round(8 * b.prompt)})`, { timeout: Math.round(8 * b.prompt) }, Math.round(8 * b.prompt)],
    ] as const) {
      const begin = monotonicNow();
      await rejectsWithCode(() => queue.get(options), 'ERR_MP_EMPTY');
      const elapsed = monotonicNow() - begin;
      if (expected > 0) check.atLeast(`duration of ${what}`, elapsed, expected - EARLY_MS, 'it must wait the whole timeout');
      check.atMost(`overrun of ${what} past ${expected} ms`, elapsed - expected, b.prompt, b.basis);
    }
  });

  kit.test("get() waits for a child's put and returns promptly after it", async () => {
    const b = await kit.bounds();
    const queue = await maker(kit.mp, 'Queue')();
    const gate = kit.gate();
    const producer = await kit.start({ target: 'produce', args: [queue, ['late'], gate.file] });
    await kit.observations.waitFor('ready', { tok: producer.token });
    const got = queue.get().then((item) => ({ item, at: monotonicNow() }));
    const early = await Promise.race([got.then(() => 'returned'), new Promise((resolve) => setTimeout(resolve, 3 * b.prompt, 'waiting'))]);
    check.equal('get() on the empty queue before anything was put', early, 'waiting');
    gate.open();
    const { item, at } = await got;
    const [put] = await kit.observations.waitFor('put', { tok: producer.token });
    check.equal('the item get() returned', item, 'late');
    check.atMost("delay of get()'s return after the child's put returned", at - put!.t, b.prompt, b.basis);
    await producer.handle.join();
  });
});
