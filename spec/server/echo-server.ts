/**
 * The `echoServer` program (fixtures/README.md) as T1, T2 and T3 drive it: the implementation's
 * TCP server with a process per connection, started as a whole program (kit.scenario), talked to
 * by one Node client (src/tcp-client.ts) whatever the implementation, and stopped through its gate.
 * Handlers say who they are from inside: a `handler` record with the client's port.
 */
import { RuleViolation, check } from '../harness/checks';
import { within } from '../harness/deadline';
import type { Kit } from '../harness/describe-rule';
import type { Observation } from '../harness/observations';
import type { ProgramEnd, Scenario } from '../harness/scenarios';
import { TcpClient } from '../../src/tcp-client';

export const HANDLER = 'echoServer:handler';

/** Milliseconds any one exchange may take when no rule bounds it (a handler's start included): a deadline, not a measure. */
export const EXCHANGE_MS = 15_000;

export interface EchoServer {
  scenario: Scenario;
  port: number;
  /** A client connected to it; destroyed after the test, whatever happens. */
  connect(): Promise<TcpClient>;
  /** The `handler` record of the process serving `client` (from the handler itself), waiting for it. */
  handlerOf(client: TcpClient): Promise<Observation>;
  /**
   * Opens the stop gate and waits for the program's exit (not for its output to end: a handler left
   * running may hold it open); checks it exited 0.
   */
  stop(): Promise<ProgramEnd>;
}

const clients = new Set<TcpClient>();

/** Destroys every client the current spec file connected: call from afterEach. */
export function dropClients(): void {
  for (const c of clients) c.destroy();
  clients.clear();
}

/** Starts the program (on `port`, or any free one) and waits for its `{"port": N}` line. */
export async function startEchoServer(kit: Kit, port = 0): Promise<EchoServer> {
  const gate = kit.gate();
  const scenario = kit.scenario('echoServer', [gate.file, String(port)]);
  const line = await scenario.waitForLine(/^\{"port": ?\d+\}$/, EXCHANGE_MS).catch((error: unknown) => {
    if (port === 0 || scenario.exited() === null) throw error;
    const stderr = scenario.lines('stderr').map((l) => l.text);
    throw new RuleViolation(
      `the server could not listen on port ${port} again: it exited saying ${JSON.stringify(stderr.slice(-1)[0] ?? '')}`,
    );
  });
  const listening = (JSON.parse(line.text) as { port: number }).port;
  if (port !== 0) check.equal('the port the server listens on', listening, port);
  return {
    scenario,
    port: listening,
    connect: async () => {
      const client = await within(TcpClient.connect({ port: listening }), EXCHANGE_MS, `a connection to port ${listening}`);
      clients.add(client);
      return client;
    },
    handlerOf: async (client) => {
      const mine = (o: Observation): boolean => o.remotePort === client.localPort;
      const deadline = Date.now() + EXCHANGE_MS;
      for (;;) {
        const found = kit.observations.of('handler', HANDLER).filter(mine);
        if (found.length > 1) throw new RuleViolation(`${found.length} handler records for the client on port ${client.localPort}`);
        if (found.length === 1) return found[0]!;
        if (Date.now() > deadline)
          throw new RuleViolation(`no handler recorded serving the client on port ${client.localPort} within ${EXCHANGE_MS} ms`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    },
    stop: async () => {
      gate.open();
      const deadline = Date.now() + EXCHANGE_MS;
      while (scenario.exited() === null) {
        if (Date.now() > deadline) throw new RuleViolation(`the server program did not exit within ${EXCHANGE_MS} ms of its stop gate`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const end = scenario.exited()!;
      check.equal(
        'exit status of the server program after its stop gate',
        { exitCode: end.exitCode, signal: end.signal },
        { exitCode: 0, signal: null },
      );
      return end;
    },
  };
}

/** One line echoed through `client`, within the exchange deadline. */
export const echo = (client: TcpClient, line: string): Promise<string> =>
  within(client.request(line), EXCHANGE_MS, `the echo of ${JSON.stringify(line.slice(0, 40))}`);

/**
 * Half-closes `client` and resolves with what came back until the server closed its side. A client
 * left without that end is the sign of a copy of the connection still open somewhere.
 */
export const finish = (client: TcpClient): Promise<string> =>
  within(
    client.finish(),
    EXCHANGE_MS,
    "the end of a client's connection",
    `the client saw no end of its connection within ${EXCHANGE_MS} ms of closing its side: its handler did not end it, or another process (the server?) still holds a copy`,
  );
