import fc from 'fast-check';
import { check } from '../harness/checks';
import { monotonicNow } from '../harness/clock';
import { within } from '../harness/deadline';
import { describeRule } from '../harness/describe-rule';
import { EXCHANGE_MS, dropClients, finish, startEchoServer } from './echo-server';

/**
 * Detection: a server that serves every connection in one process (its own, or one worker) shows
 * one pid for k clients, or the server's own; one that serves connections one at a time never
 * answers the others while the slow client holds its connection, and fails the bound, whatever it is.
 */
describeRule('T2', (kit) => {
  afterEach(dropClients);

  kit.test("k clients at once are served by k distinct processes, none the server's own (fast-check, k from 2 to 5, 3 runs)", async () => {
    const server = await startEchoServer(kit);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 5 }), async (k) => {
        const clients = await Promise.all(Array.from({ length: k }, () => server.connect()));
        const replies = await Promise.all(
          clients.map((c, i) =>
            within(
              c.request(`client ${i} of ${k}`),
              EXCHANGE_MS,
              'a reply',
              `client ${i} of ${k} connected at once had no reply within ${EXCHANGE_MS} ms: the server does not serve its connections side by side`,
            ),
          ),
        );
        check.equal(
          'the replies',
          replies,
          clients.map((_, i) => `CLIENT ${i} OF ${k}`),
        );
        const pids = (await Promise.all(clients.map((c) => server.handlerOf(c)))).map((o) => o.pid);
        check.equal(`distinct handler pids among ${k} clients served at once (pids ${pids.join(', ')})`, new Set(pids).size, k);
        check.that(!pids.includes(server.scenario.pid), `a client was served by the server program itself (pid ${server.scenario.pid})`);
        await Promise.all(clients.map(finish));
      }),
      { numRuns: 3 },
    );
    await server.stop();
  });

  kit.test('a slow client, halfway through its line, does not hold up the others', async () => {
    const b = await kit.bounds();
    const k = 3;
    const server = await startEchoServer(kit);
    const slow = await server.connect();
    await slow.write('half a li');
    const slowHandler = await server.handlerOf(slow);
    const began = monotonicNow();
    const others = await Promise.all(Array.from({ length: k }, () => server.connect()));
    // The starts of k handlers one after another, and two more for scheduling: a server that waits
    // for the slow client before it serves anyone else misses any finite bound.
    const bound = (k + 2) * b.start;
    const replies = await Promise.all(
      others.map((c, i) =>
        within(
          c.request(`other ${i}`),
          bound,
          `the reply to client ${i}`,
          `client ${i} had no reply ${bound.toFixed(0)} ms after connecting, while a slow client held its connection (bound: ${k} + 2 starts, ${b.basis})`,
        ),
      ),
    );
    check.atMost('the last reply to the other clients after they connected', monotonicNow() - began, bound, `${k} + 2 starts, ${b.basis}`);
    check.equal(
      'the replies to the other clients',
      replies,
      others.map((_, i) => `OTHER ${i}`),
    );
    const pids = (await Promise.all(others.map((c) => server.handlerOf(c)))).map((o) => o.pid);
    check.that(!pids.includes(slowHandler.pid), `the slow client's handler (pid ${slowHandler.pid}) served another client too`);
    await slow.write('ne\n');
    check.equal(
      "the slow client's reply, once its line is whole",
      await within(slow.readLine(), EXCHANGE_MS, "the slow client's reply"),
      'HALF A LINE',
    );
    await server.stop();
  });
});
