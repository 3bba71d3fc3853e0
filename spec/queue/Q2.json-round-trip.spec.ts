import fc from 'fast-check';
import { UNSENDABLE, type Json } from '../adapter';
import { check } from '../harness/checks';
import { maker } from '../harness/critical-sections';
import { describeRule } from '../harness/describe-rule';

// -0 is a JSON number too: fast-check's jsonValue leaves it out, so it is added on purpose.
const item = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(-0)) as fc.Arbitrary<Json>;

describeRule('Q2', (kit) => {
  kit.test("JSON values put by a child come out equal in the parent, and the parent's in a child (property, 5 runs)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 6 }), async (items) => {
        const queue = await maker(kit.mp, 'Queue')();
        const producer = await kit.start({ target: 'produce', args: [queue, items, null] });
        const got: Json[] = [];
        for (let k = 0; k < items.length; k++) got.push(await queue.get({ timeout: 10_000 }));
        await producer.handle.join();
        check.equal('the items the parent got', got, items);
        for (const value of items) await queue.put(value);
        const consumer = await kit.start({ target: 'consume', args: [queue, items.length, null] });
        await consumer.handle.join();
        check.equal('the items a child got', kit.observations.of('consumed', consumer.token)[0]?.items, items);
        await kit.cleanup();
      }),
      { numRuns: 5 },
    );
  });

  kit.test('an item that cannot cross is refused or dropped, and the items after it arrive intact', async () => {
    const queue = await maker(kit.mp, 'Queue')();
    await queue.put('before');
    // Ours refuses it at put(); CPython accepts it and its feeder drops it (the catalogue says so).
    const refused = await queue.put(UNSENDABLE).then(
      () => false,
      (error: { code?: unknown }) =>
        error.code === 'ERR_MP_NOT_SENDABLE' || (check.that(false, `put() of an unsendable item failed with ${String(error.code)}`), false),
    );
    await queue.put({ after: [1, 2] });
    const consumer = await kit.start({ target: 'consume', args: [queue, 2, null] });
    await consumer.handle.join();
    check.equal(
      `the items after it (the put was ${refused ? 'refused' : 'accepted'})`,
      kit.observations.of('consumed', consumer.token)[0]?.items,
      ['before', { after: [1, 2] }],
    );
  });
});
