import { execFileSync } from 'node:child_process';
import { RuleViolation, check } from '../harness/checks';
import { monotonicNow } from '../harness/clock';
import { within } from '../harness/deadline';
import { describeRule } from '../harness/describe-rule';
import type { Observation } from '../harness/observations';
import { lookup } from '../harness/proc';
import { heldOnPort, timeWaitsOn, until } from '../library/tcp-probes';
import { EXCHANGE_MS, dropClients, echo, finish, startEchoServer } from './echo-server';

/**
 * Detection: a handler that goes on after its client closed, or is never reaped (the seed never
 * joins), fails the first test's bounds; a parent that keeps its copy of a connection leaves the
 * client without an end when the stop comes; a server that leaves handlers running when it stops,
 * or a socket of its port open, or does not set SO_REUSEADDR (the seed), fails the second.
 */
describeRule('T3', (kit) => {
  afterEach(dropClients);

  /** When /proc saw the writer of `o` end, at most `bound` ms after `since`, or a failure naming it. */
  const endOf = (o: Observation, since: number, bound: number, what: string): Promise<number> =>
    within(
      kit.exitOf(o),
      since + bound - monotonicNow(),
      what,
      `${what} (pid ${o.pid}) was still running ${bound.toFixed(1)} ms after it should have ended`,
    );

  kit.test('a client that closes: its handler ends at once and is reaped, and the server goes on accepting', async () => {
    const b = await kit.bounds();
    const server = await startEchoServer(kit);
    const client = await server.connect();
    check.equal('the reply', await echo(client, 'first'), 'FIRST');
    const handler = await server.handlerOf(client);
    const closedAt = monotonicNow();
    await finish(client);
    // Reading the end, closing and exiting: the teardown of a process, bounded as a start is.
    const bound = b.start + b.prompt;
    const ended = await endOf(handler, closedAt, bound, 'the handler whose client closed');
    check.atMost("the handler's end after its client closed", ended - closedAt, bound, `a start and a prompt bound, ${b.basis}`);
    const writer = { pid: handler.pid, startTime: handler.st };
    try {
      await until(() => lookup(writer) === null, b.prompt, 'the reaping');
    } catch {
      throw new RuleViolation(
        `the handler (pid ${handler.pid}) ended but was still a zombie ${b.prompt.toFixed(1)} ms later: nobody reaped it (${b.basis})`,
      );
    }
    const next = await server.connect();
    check.equal('the reply to the next client', await echo(next, 'second'), 'SECOND');
    await server.stop();
  });

  kit.test(
    'closing the server ends its handlers and leaves no process or socket of its port; a new server binds the port at once',
    async () => {
      const b = await kit.bounds();
      const server = await startEchoServer(kit);
      const { port } = server;
      const done = await server.connect();
      check.equal('the reply', await echo(done, 'done'), 'DONE');
      await finish(done);
      const open = await server.connect();
      check.equal('the reply', await echo(open, 'open'), 'OPEN');
      await open.write('half a li');
      const handlers = await Promise.all([server.handlerOf(done), server.handlerOf(open)]);

      const end = await server.stop();
      for (const [i, h] of handlers.entries()) {
        await endOf(h, end.t, b.prompt, `handler ${i} (of the ${i === 0 ? 'closed' : 'open'} client), after the server program ended`);
      }
      await within(open.readLine(), EXCHANGE_MS, 'the end seen by the open client').then(
        (line) => {
          throw new RuleViolation(`the open client got ${JSON.stringify(line)} instead of the end of its connection`);
        },
        // Closed, or reset when its handler died with bytes it had not read yet: either way, ended.
        (error: { code?: string }) =>
          check.that(
            error.code === 'ERR_TCP_CONNECTION_ENDED' || error.code === 'ECONNRESET',
            `the open client's connection did not end but failed with ${String(error.code)}: ${String(error)}`,
          ),
      );
      check.equal(`sockets of port ${port} some process still holds, after the server ended`, heldOnPort(port), []);

      const waiting = timeWaitsOn(port);
      if (waiting > 0) kit.note(`${waiting} connection(s) of port ${port} in TIME_WAIT after the stop; ${bindWithoutReuse(port)}`);
      const again = await startEchoServer(kit, port);
      const client = await again.connect();
      check.equal('the reply from a new server on the same port', await echo(client, 'again'), 'AGAIN');
      await finish(client);
      await again.stop();
    },
    { budget: 40_000 },
  );
});

/** What a bind of `port` without SO_REUSEADDR (as seed 004 binds) gets now, from python3. */
function bindWithoutReuse(port: number): string {
  const script = 'import socket, sys\ns = socket.socket()\ns.bind(("127.0.0.1", int(sys.argv[1])))\ns.close()';
  try {
    execFileSync(process.env.KIT_PYTHON ?? 'python3', ['-c', script, String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    return 'a bind without SO_REUSEADDR (as seed 004 binds) succeeded all the same';
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '');
    return `a bind without SO_REUSEADDR (as seed 004 binds) failed now: ${/OSError: .*/.exec(stderr)?.[0] ?? 'error'}`;
  }
}
