import { check } from '../harness/checks';
import { maker } from '../harness/critical-sections';
import { describeRule } from '../harness/describe-rule';
import { rejectsWithCode } from '../harness/expect-error';

describeRule('Q9', (kit) => {
  kit.test('after close() in the parent, put and get there fail as closed, while two children still use the queue', async () => {
    const queue = await maker(kit.mp, 'Queue')();
    const consumer = await kit.start({ target: 'consume', args: [queue, 3, null] });
    const producer = await kit.start({ target: 'produce', args: [queue, [1, 2, 3], null] });
    await queue.close();
    const put = await rejectsWithCode(() => queue.put(4), 'ERR_MP_QUEUE_CLOSED');
    check.that(/closed/i.test(put.message), `the error of put() after close() does not say closed: ${put.message}`);
    await rejectsWithCode(() => queue.get({ block: false }), 'ERR_MP_QUEUE_CLOSED');
    await rejectsWithCode(() => queue.get({ timeout: 100 }), 'ERR_MP_QUEUE_CLOSED');
    await producer.handle.join();
    await consumer.handle.join();
    check.equal(
      'what the consumer child got after the parent closed its queue',
      kit.observations.of('consumed', consumer.token)[0]?.items,
      [1, 2, 3],
    );
  });

  kit.test('a child catches Full and Empty by their classes', async () => {
    const queue = await maker(kit.mp, 'Queue')(1);
    await queue.put('only');
    // The item is in the queue for every process before the child looks (CPython: its feeder has written).
    for (let i = 0; i < 500 && (await queue.empty()); i++) await new Promise((r) => setTimeout(r, 2));
    const child = await kit.start({ target: 'catchQueueErrors', args: [queue, 'more'] });
    await child.handle.join();
    check.equal(
      'put(block=False) on the full queue, then get(block=False) twice',
      kit.observations.of('caught', child.token)[0]?.outcomes,
      ['Full', 'ok', 'Empty'],
    );
  });
});
