/**
 * Passing a connected socket to a Process (src/reduction.ts wire format v4, src/popen-spawn.ts,
 * src/bootstrap.ts): a net.Socket among a task's arguments reaches the child as a working
 * net.Socket, in its place, with every byte the client sent; the parent keeps no copy once the
 * child has it (seen in /proc: which process holds a descriptor of the connection), so the client
 * sees the connection end when the child ends it; a socket that cannot be handed over whole fails
 * start() naming it, and nothing starts. Children run the tasks of ./tasks/tcp-handlers.cjs.
 */
import * as net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import type * as Reduction from '../../src/reduction';
import { within } from '../harness/deadline';
import { DIST } from '../harness/paths';
import { descendants } from '../harness/proc';
import { startMessage } from './shared-object-probes';
import { lib, start, useStartedChildren } from './started-children';
import { tcpHeldBy, until } from './tcp-probes';

interface Tasks {
  sayWhoHolds(label: string, ...sockets: net.Socket[]): Promise<void>;
  sayWhoHoldsDeep(label: string, kwargs: { deep: { list: net.Socket[] } }): Promise<void>;
  sayAndDrop(socket: net.Socket, text: string): Promise<void>;
  countBytes(socket: net.Socket): Promise<void>;
}

/* eslint-disable @typescript-eslint/no-require-imports -- the compiled library and tasks, as children run them */
const tasks = require(join(__dirname, 'tasks', 'tcp-handlers.cjs')) as Tasks;
const reduction = require(`${DIST}/src/reduction.js`) as typeof Reduction;
/* eslint-enable @typescript-eslint/no-require-imports */

/** How long anything here may take on a loaded 2-core machine (a child's start included). */
const SLOW_MS = 10_000;

useStartedChildren();

let server: net.Server;
let port: number;
const accepted: net.Socket[] = [];
const clients: net.Socket[] = [];
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mp-kit-sockets-'));
  // pauseOnConnect: this process reads nothing of what clients send (as TcpServer does).
  server = net.createServer({ pauseOnConnect: true }, (socket) => accepted.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

afterEach(() => {
  for (const s of [...clients.splice(0), ...accepted.splice(0)]) s.destroy();
});

afterAll(() => {
  // Not awaiting its callback: once a socket has gone to a child that has exited, Node never calls it.
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A client connected to the test server, and the server's side of that connection. */
async function connectedPair(): Promise<{ client: net.Socket; serverSide: net.Socket }> {
  const client = net.connect({ port, host: '127.0.0.1' });
  clients.push(client);
  client.on('error', () => {});
  await within(new Promise((resolve) => client.once('connect', resolve)), SLOW_MS, 'the connection');
  // Both ends of the pair: Linux reuses a client's local port towards another server, so the
  // client's port alone can name a socket another test server accepted.
  const mine = (): net.Socket | undefined => accepted.find((s) => s.remotePort === client.localPort && s.localPort === port);
  await until(() => mine() !== undefined, SLOW_MS, 'the accept');
  return { client, serverSide: mine()! };
}

/** Everything the client receives until the other side ends the connection. */
function readToEnd(client: net.Socket): Promise<string> {
  let text = '';
  client.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  return new Promise((resolve) => client.once('end', () => resolve(text)));
}

/** The descriptors this process holds of the server's side of `client`'s connection. */
const parentCopies = (client: net.Socket): string[] =>
  tcpHeldBy('self', client.localPort!).filter((pair) => pair === `${port}->${client.localPort}`);

describe('a socket among the arguments of a Process', () => {
  it('reaches the child as a working net.Socket; the child alone holds the connection, and its end is the end', async () => {
    const { client, serverSide } = await connectedPair();
    const reply = readToEnd(client);
    const parentClosed = new Promise((resolve) => serverSide.once('close', resolve));
    const p = start(tasks.countBytes, [serverSide]);
    await until(() => tcpHeldBy(p.pid!, client.localPort!).length > 0, SLOW_MS, "the child's descriptor of the connection");
    // The parent's copy goes once the child has it in place (its net.Socket says so with 'close'):
    // from then on, the client's end is the child's end.
    await within(parentClosed, SLOW_MS, "the 'close' of the parent's net.Socket");
    await until(() => parentCopies(client).length === 0, SLOW_MS, "the parent's closing of its copy of the connection");
    client.end('ping');
    expect(await within(reply, SLOW_MS, 'the end of the connection')).toBe(`4 ${Buffer.from('ping').toString('hex')}\n`);
    await p.join();
    expect(p.exitCode).toBe(0);
  }, 30_000);

  it('the client sees the end as soon as the child drops the connection (no copy left open in the parent)', async () => {
    const { client, serverSide } = await connectedPair();
    const reply = readToEnd(client);
    const p = start(tasks.sayAndDrop, [serverSide, 'bye']);
    expect(
      await within(
        reply,
        SLOW_MS,
        'the end of the connection',
        'the client saw no end of the connection after the child dropped it: another copy of it is open',
      ),
    ).toBe('bye');
    await p.join();
  }, 30_000);

  it('a child killed before it could use the socket: the connection ends, no copy is left', async () => {
    const { client, serverSide } = await connectedPair();
    const closed = new Promise((resolve) => client.once('close', resolve));
    const p = start(tasks.countBytes, [serverSide]);
    p.kill();
    await p.join();
    await within(closed, SLOW_MS, "the close of the killed child's connection");
    await until(() => parentCopies(client).length === 0, SLOW_MS, "the parent's closing of its copy");
  }, 30_000);

  it('every byte the client sent before the child started reaches the child', async () => {
    const { client, serverSide } = await connectedPair();
    const sent = Buffer.from('early bytes, sent before start(): \u20ac\u00df');
    client.write(sent);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const reply = readToEnd(client);
    start(tasks.countBytes, [serverSide]);
    client.end();
    expect(await within(reply, SLOW_MS, 'the reply')).toBe(`${sent.length} ${sent.toString('hex')}\n`);
  }, 30_000);

  it('several sockets, nested in args or kwargs, each arrive in their own place, in order', async () => {
    const pairs = [await connectedPair(), await connectedPair(), await connectedPair()];
    const replies = pairs.map((pair) => readToEnd(pair.client));
    const p = start(tasks.sayWhoHolds, ['args', pairs[0]!.serverSide, pairs[1]!.serverSide, pairs[2]!.serverSide]);
    const got = await within(Promise.all(replies), SLOW_MS, 'the replies');
    expect(got).toEqual([0, 1, 2].map((i) => `args[${i}] ${p.pid} true\n`));

    const more = [await connectedPair(), await connectedPair()];
    const moreReplies = more.map((pair) => readToEnd(pair.client));
    const q = new lib.Process({
      target: tasks.sayWhoHoldsDeep,
      args: ['kwargs'],
      kwargs: { deep: { list: more.map((m) => m.serverSide) } },
    });
    q.start();
    expect(await within(Promise.all(moreReplies), SLOW_MS, 'the replies')).toEqual([0, 1].map((i) => `kwargs[${i}] ${q.pid} true\n`));
    await Promise.all([p.join(), q.join()]);
    expect([p.exitCode, q.exitCode]).toEqual([0, 0]);
  }, 30_000);

  it('a Unix-domain socket is handed over the same way', async () => {
    const path = join(dir, 'unix.sock');
    const got: net.Socket[] = [];
    const unixServer = net.createServer({ pauseOnConnect: true }, (s) => got.push(s));
    await new Promise<void>((resolve) => unixServer.listen(path, resolve));
    try {
      const client = net.connect(path);
      clients.push(client);
      await until(() => got.length === 1, SLOW_MS, 'the accept');
      const reply = readToEnd(client);
      const p = start(tasks.sayWhoHolds, ['unix', got[0]!]);
      expect(await within(reply, SLOW_MS, 'the reply')).toBe(`unix[0] ${p.pid} true\n`);
    } finally {
      unixServer.close();
    }
  }, 30_000);
});

describe('a socket that cannot be handed over whole fails start(), naming it, and nothing starts', () => {
  /** start() must throw ERR_MP_NOT_SENDABLE with a message matching `expected`, and start no process. */
  function refused(args: unknown[], expected: RegExp): void {
    const before = descendants(process.pid).map((p) => p.pid);
    const p = new lib.Process({ target: tasks.sayWhoHolds, args });
    expect(() => p.start()).toThrow(expect.objectContaining({ code: 'ERR_MP_NOT_SENDABLE', message: expect.stringMatching(expected) }));
    expect(descendants(process.pid).map((c) => c.pid)).toEqual(before);
  }

  it('closed, not yet connected, already handed to a process, or the same socket twice', async () => {
    const closed = await connectedPair();
    closed.serverSide.destroy();
    refused(['x', closed.serverSide], /^Process-\d+: args\[1\] is a net\.Socket that is closed, so it cannot be handed to a child process/);

    const connecting = net.connect({ port, host: '127.0.0.1' });
    clients.push(connecting);
    refused(['x', connecting], /args\[1\] is a net\.Socket that is not connected yet/);

    const twice = await connectedPair();
    refused(['x', twice.serverSide, [twice.serverSide]], /args\[2\]\[0\] is a net\.Socket that is also args\[1\]/);
    const reply = readToEnd(twice.client);
    start(tasks.sayWhoHolds, ['once', twice.serverSide]);
    await within(reply, SLOW_MS, 'the reply');
    refused(['x', twice.serverSide], /args\[1\] is a net\.Socket that was already handed to another process/);
  }, 30_000);

  it('holding bytes this process read, or bytes written and not yet sent, which the child would never see', async () => {
    const reading = net.createServer((s) => accepted.push(s)); // not paused: it reads at once
    await new Promise<void>((resolve) => reading.listen(0, '127.0.0.1', resolve));
    try {
      const before = accepted.length;
      const client = net.connect({ port: (reading.address() as net.AddressInfo).port, host: '127.0.0.1' });
      clients.push(client);
      client.write('already read');
      await until(() => accepted.length > before && accepted[before]!.readableLength > 0, SLOW_MS, 'the read into the buffer');
      refused(['x', accepted[before]!], /args\[1\] is a net\.Socket holding 12 bytes this process has read but not consumed/);
    } finally {
      reading.close();
    }
    const { serverSide } = await connectedPair();
    serverSide.write(Buffer.alloc(32 << 20)); // more than the kernel takes at once: the client reads nothing
    expect(serverSide.writableLength).toBeGreaterThan(0);
    refused(['x', serverSide], /args\[1\] is a net\.Socket with \d+ bytes written but not yet sent: wait for 'drain' first/);
  }, 30_000);

  it('carrying TLS, whose state lives in this process; and a socket is never a queue item', async () => {
    const { serverSide } = await connectedPair();
    const secured = new tls.TLSSocket(serverSide);
    refused(['x', secured], /args\[1\] is a net\.Socket carrying TLS/);
    secured.destroy();
    const queue = new lib.Queue();
    const other = await connectedPair();
    const error = await queue.put(other.serverSide as never).then(
      () => null,
      (e: unknown) => e as Error & { code?: unknown },
    );
    expect(error && { name: error.name, code: error.code }).toEqual({ name: 'NotSendableError', code: 'ERR_MP_NOT_SENDABLE' });
    expect(error!.message).toMatch(/the item holds a net\.Socket, which only start\(\) can pass to a process/);
    queue.close();
  }, 30_000);
});

describe('the wire format (v4): where each socket goes', () => {
  const withSockets = (fields: Record<string, unknown>): string => JSON.stringify({ ...JSON.parse(startMessage()), ...fields });

  it('a socket whose place is not a null in state, args or kwargs is refused before anything is placed', () => {
    for (const at of [['args', 1], ['args'], ['target', 0], ['args', 0, 'x']]) {
      expect(() => reduction.decodeStart(withSockets({ sockets: [{ at }] }))).toThrow(
        `invalid start message (wire format v4 expected): a socket's place ${JSON.stringify(at)} is not a null in state, args or kwargs`,
      );
    }
    expect(() => reduction.decodeStart(withSockets({ sockets: [1] }))).toThrow(/a field is missing or has the wrong type/);
    expect(() => reduction.decodeStart(withSockets({ v: 2, sockets: undefined }))).toThrow(/got version 2/);
  });

  it('a listed socket that did not come with its message fails the child, naming it; the follow-up messages are checked', async () => {
    const message = reduction.decodeStart(withSockets({ sockets: [{ at: ['args', 0] }] }));
    expect(() => reduction.placeSockets(message, [undefined])).toThrow(/socket 0 \(at \["args",0\]\) did not come with its message/);
    expect(() => reduction.decodeSocketMessage(reduction.socketMessageText(2), 1)).toThrow(
      /expected the message of socket 1, got kind "socket" index 2/,
    );
    const { serverSide } = await connectedPair();
    reduction.placeSockets(message, [serverSide]);
    expect(message.args[0]).toBe(serverSide);
  });
});
