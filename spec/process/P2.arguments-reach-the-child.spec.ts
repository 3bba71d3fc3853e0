import fc from 'fast-check';
import type { Json } from '../adapter';
import { describeRule } from '../harness/describe-rule';
import { rejectsWithCode } from '../harness/expect-error';

/** Keyword names: any string except the task's own parameter names (Python would refuse those twice). */
const keyword = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !['first', 'second', '__proto__'].includes(k));
const value = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>;

describeRule('P2', (kit) => {
  it('positional and keyword arguments arrive unchanged (property, 6 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(value, value, fc.dictionary(keyword, value, { maxKeys: 4 }), async (first, second, kwargs) => {
        const p = await kit.mp.Process({ target: 'recordArguments', args: [first, second], kwargs });
        await p.start();
        const pid = await p.pid();
        await p.join();
        expect(await p.exitCode()).toBe(0);
        const seen = kit.observations.of('arguments').find((o) => o.pid === pid);
        expect(seen).toMatchObject({ first, second, kwargs });
      }),
      // -0 is a JSON number that JSON.stringify flattens to 0; CPython's pickle keeps -0.0.
      { numRuns: 6, examples: [[-0, [-0, 1.5e300], { k: -0 }]] },
    );
  }, 60_000);

  it('with positional arguments only, the keyword arguments are empty', async () => {
    const p = await kit.mp.Process({ target: 'recordArguments', args: ['meet', 18] });
    await p.start();
    await p.join();
    const [seen] = await kit.observations.waitFor('arguments');
    expect(seen).toMatchObject({ first: 'meet', second: 18, kwargs: {} });
  }, 20_000);

  it('an unknown constructor option such as age=18 is refused (seed 002 claims it becomes an attribute)', async () => {
    const error = await rejectsWithCode(() => kit.mp.Process({ target: 'noop', age: 18 }), 'ERR_MP_INVALID_OPTION');
    expect(error.message).toMatch(/age/);
    expect(await kit.mp.activeChildren()).toEqual([]);
  }, 20_000);
});
