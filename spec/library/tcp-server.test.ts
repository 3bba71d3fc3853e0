/**
 * Our TCP server (src/tcp-server.ts) and client helper (src/tcp-client.ts) on loopback: the echo is
 * upper-cased and decoded as a stream (a character split across two writes comes back whole,
 * invalid UTF-8 becomes U+FFFD as documented); every connection is served by a child process of
 * its own, which ends with its client; close() stops accepting, ends or terminates the handlers
 * and leaves no process or socket behind, and the port can be bound again at once; and under
 * stress, bounded in count and time: 200 concurrent clients, clients that vanish mid-message, a
 * 1 MB line, a client that never reads. Processes and sockets are seen in /proc, not taken from
 * the server's word; handlers that report their own pid run ./tasks/tcp-handlers.cjs.
 */
import * as net from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import type * as Library from '../../src';
import { within } from '../harness/deadline';
import { descendants, readProc } from '../harness/proc';
import { lib } from './started-children';
import { ended, memoryKb, mustIdentify, socketInodes, tcpHeldBy, timeWaitsOn, until } from './tcp-probes';

type Handler = (socket: net.Socket) => Promise<void>;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- tasks as children run them
const tasks = require(join(__dirname, 'tasks', 'tcp-handlers.cjs')) as { reportPidThenEcho: Handler; ignoreTermThenEcho: Handler };

/** How long one exchange may take on a loaded 2-core machine, a handler's start (a Node boot) included. */
const SLOW_MS = 15_000;

const servers: Library.TcpServer[] = [];
const clients: { destroy(): void }[] = [];

async function listen(options: Library.TcpServerOptions = {}): Promise<Library.TcpServer> {
  const server = await lib.TcpServer.listen(options);
  servers.push(server);
  return server;
}

async function connect(server: Library.TcpServer): Promise<Library.TcpClient> {
  const client = await within(lib.TcpClient.connect({ port: server.port }), SLOW_MS, 'the connection');
  clients.push(client);
  return client;
}

/** The handler's pid, from the handler itself: reportPidThenEcho's first line. */
async function pidOf(client: Library.TcpClient, ms = SLOW_MS): Promise<number> {
  return Number(await within(client.readLine(), ms, "the handler's first line"));
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => within(s.close({ timeout: 0 }), SLOW_MS, 'close()')));
  await lib.stopStandby();
  expect(descendants(process.pid).map((p) => `${p.pid} ${p.cmd} ${p.state}`)).toEqual([]);
}, 30_000);

describe('the upper-case echo (upperCaseEcho)', () => {
  it('"hello" gets "HELLO"; the reply ends when the client ends', async () => {
    const client = await connect(await listen());
    expect(await within(client.request('hello'), SLOW_MS, 'the reply')).toBe('HELLO');
    expect(await within(client.finish(), SLOW_MS, 'the end')).toBe('');
  }, 30_000);

  it('a character whose bytes arrive in two reads comes back whole, at every split point', async () => {
    const client = await connect(await listen());
    for (const char of ['é', '€', '😀', 'ß']) {
      const bytes = Buffer.from(char);
      for (let k = 1; k < bytes.length; k++) {
        // 'a' and a newline first: its echo shows the handler has read this chunk, cut character and all.
        await client.write(Buffer.concat([Buffer.from('a\n'), bytes.subarray(0, k)]));
        expect(await within(client.readLine(), SLOW_MS, 'the echo of the first part')).toBe('A');
        await client.write(Buffer.concat([bytes.subarray(k), Buffer.from('b\n')]));
        const got = await within(client.readLine(), SLOW_MS, 'the echo of the second part');
        expect({ char, splitAfterByte: k, got }).toEqual({ char, splitAfterByte: k, got: `${char.toUpperCase()}B` });
      }
    }
  }, 30_000);

  it('invalid UTF-8 comes back as U+FFFD, one per maximal ill-formed subsequence; the connection goes on', async () => {
    const client = await connect(await listen());
    const R = '\uFFFD';
    const cases: [number[], string][] = [
      [[0xef, 0xbb, 0xbf, 0x61], '\uFEFFA'], // a byte order mark is a character like any other
      [[0xff], R],
      [[0xc3, 0x78], `${R}X`], // a lead byte without its continuation
      [[0xf0, 0x9f, 0x98, 0x79], `${R}Y`], // three bytes of a four-byte character: one U+FFFD
      [[0xc0, 0xaf], R + R], // an overlong form: C0 never starts a character
      [[0xed, 0xa0, 0x80], R + R + R], // a UTF-16 surrogate encoded in UTF-8
      [[0x80, 0x61], `${R}A`], // a stray continuation byte
    ];
    for (const [bytes, expected] of cases) {
      await client.write(Buffer.from([...bytes, 0x0a]));
      const got = await within(client.readLine(), SLOW_MS, 'the echo');
      expect({ bytes, got }).toEqual({ bytes, got: expected });
    }
    await client.write(Buffer.from([0x7a, 0xe2, 0x82])); // a character cut off by the client's end
    expect(await within(client.finish(), SLOW_MS, 'the end')).toBe(`Z${R}`);
  }, 30_000);

  it('any text comes back upper-cased and otherwise unchanged, split anywhere (fast-check, 60 runs on one connection)', async () => {
    const client = await connect(await listen());
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.nat(), async (raw, cut) => {
        const text = raw.replaceAll('\n', ' ');
        const bytes = Buffer.from(`${text}\n`);
        const at = cut % bytes.length;
        await client.write(bytes.subarray(0, at));
        await client.write(bytes.subarray(at));
        expect(await within(client.readLine(), SLOW_MS, 'the echo')).toBe(text.toUpperCase());
      }),
      { numRuns: 60 },
    );
  }, 60_000);
});

describe('one process per connection', () => {
  it("each connection is served by a child of the server's process of its own, the one handlerStart names", async () => {
    const server = await listen({ handler: tasks.reportPidThenEcho });
    const started: Library.HandlerInfo[] = [];
    server.on('handlerStart', (info) => started.push(info));
    const all = await Promise.all(Array.from({ length: 5 }, () => connect(server)));
    const pids = await Promise.all(all.map((c) => pidOf(c)));
    expect(new Set(pids).size).toBe(5);
    for (const [i, pid] of pids.entries()) {
      expect({ pid, ppid: readProc(pid)?.ppid }).toEqual({ pid, ppid: process.pid });
      expect(started.find((s) => s.remotePort === all[i]!.localPort)?.pid).toBe(pid);
    }
    expect(server.handlers.map((h) => h.pid).sort()).toEqual([...pids].sort());
    for (const [i, c] of all.entries()) expect(await within(c.request(`client ${i}`), SLOW_MS, 'the echo')).toBe(`CLIENT ${i}`);
  }, 30_000);

  it('a client that closes ends its handler (exit code 0), and the server keeps accepting', async () => {
    const server = await listen({ handler: tasks.reportPidThenEcho });
    const exits: { pid: number; exitCode: number }[] = [];
    server.on('handlerExit', ({ pid, exitCode }) => exits.push({ pid, exitCode }));
    const client = await connect(server);
    const pid = await pidOf(client);
    const id = mustIdentify(pid, 'the handler');
    await within(client.finish(), SLOW_MS, 'the end');
    await ended(id, SLOW_MS, 'the handler whose client closed');
    await until(() => exits.length === 1, SLOW_MS, 'handlerExit');
    expect(exits).toEqual([{ pid, exitCode: 0 }]);
    const next = await connect(server);
    expect(await pidOf(next)).not.toBe(pid);
    expect(await within(next.request('again'), SLOW_MS, 'the echo')).toBe('AGAIN');
  }, 30_000);

  it('a client that vanishes mid-message (a reset, half a character sent) ends its handler', async () => {
    const server = await listen({ handler: tasks.reportPidThenEcho });
    const client = await connect(server);
    const id = mustIdentify(await pidOf(client), 'the handler');
    await client.write(Buffer.concat([Buffer.from('half a message '), Buffer.from('€').subarray(0, 2)]));
    client.destroy();
    await ended(id, SLOW_MS, 'the handler whose client vanished');
  }, 30_000);

  it('maxHandlers: 1: a second client waits, unread, and is served by a new process once the first ends', async () => {
    const server = await listen({ handler: tasks.reportPidThenEcho, maxHandlers: 1 });
    const first = await connect(server);
    const firstPid = await pidOf(first);
    const second = await connect(server);
    await second.write('early\n'); // sent before its handler exists: kept for it in the kernel
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.handlers.map((h) => h.pid)).toEqual([firstPid]);
    await first.finish();
    const secondPid = await pidOf(second);
    expect(secondPid).not.toBe(firstPid);
    expect(await within(second.readLine(), SLOW_MS, 'the echo')).toBe('EARLY');
  }, 30_000);
});

describe('close()', () => {
  it('stops accepting at once, waits for the handlers to end with their clients, leaves nothing; the port binds again at once', async () => {
    const socketsBefore = socketInodes('self');
    const server = await listen({ handler: tasks.reportPidThenEcho });
    const { port } = server;
    const client = await connect(server);
    const id = mustIdentify(await pidOf(client), 'the handler');
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await expect(lib.TcpClient.connect({ port })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(await within(client.request('still served'), SLOW_MS, 'the echo')).toBe('STILL SERVED');
    expect(closed).toBe(false);
    await client.finish();
    await within(closing, SLOW_MS, 'close() after the last client ended');
    expect(readProc(id.pid)).toBeNull(); // ended and reaped: no zombie
    await within(client.closed, SLOW_MS, "the client's close");
    expect(tcpHeldBy('self', port)).toEqual([]);
    // Every descriptor, in any state (a finished connection leaves /proc/net/tcp, not the process),
    // once the standby child and its IPC channel are gone too.
    await lib.stopStandby();
    expect([...socketInodes('self')].filter((inode) => !socketsBefore.has(inode))).toEqual([]);
    await bindAgain(port);
  }, 30_000);

  it('close({ timeout: 0 }) terminates the handlers (exit code -15) and their clients see the end; the port binds again despite TIME_WAIT', async () => {
    const server = await listen({ handler: tasks.reportPidThenEcho });
    const { port } = server;
    const exits: number[] = [];
    server.on('handlerExit', ({ exitCode }) => exits.push(exitCode));
    const all = await Promise.all([connect(server), connect(server)]);
    await Promise.all(all.map((c) => pidOf(c)));
    await within(server.close({ timeout: 0 }), SLOW_MS, 'close({ timeout: 0 })');
    expect(exits).toEqual([-15, -15]);
    for (const c of all) {
      await expect(within(c.readLine(), SLOW_MS, "the end of a terminated handler's connection")).rejects.toMatchObject({
        code: 'ERR_TCP_CONNECTION_ENDED',
      });
    }
    // The server's side closed first, so its end of each connection waits in TIME_WAIT once the
    // client's own FIN has arrived: the client sends it after it has seen the end (its socket's
    // 'close'). Node's SO_REUSEADDR is what lets the port be bound again now.
    for (const c of all) await within(c.closed, SLOW_MS, "the client's close");
    expect(timeWaitsOn(port)).toBe(2);
    await bindAgain(port);
  }, 30_000);

  it('close({ timeout }) lets handlers end by themselves within it; a handler that ignores SIGTERM is killed KILL_AFTER_MS later', async () => {
    const server = await listen({ handler: tasks.ignoreTermThenEcho });
    const exits: number[] = [];
    server.on('handlerExit', ({ exitCode }) => exits.push(exitCode));
    const [quick, stubborn] = await Promise.all([connect(server), connect(server)]);
    await Promise.all([pidOf(quick!), pidOf(stubborn!)]);
    const began = Date.now();
    const closing = server.close({ timeout: 500 });
    await quick!.finish();
    await within(closing, SLOW_MS, 'close({ timeout: 500 })');
    expect({ exits, atLeastMs: Date.now() - began >= 500 + lib.KILL_AFTER_MS }).toEqual({ exits: [0, -9], atLeastMs: true });
  }, 30_000);

  it('close() twice returns the same Promise; bad options reject, never throw', async () => {
    const server = await listen();
    await expect(server.close({ timeout: -1 })).rejects.toMatchObject({ code: 'ERR_MP_INVALID_OPTION' });
    const first = server.close();
    expect(server.close()).toBe(first);
    await first;
    expect(server.port).toBeGreaterThan(0); // address() is kept after close
  });
});

describe('listen()', () => {
  it('refuses bad options, an unsendable handler, a taken port; an AbortSignal cancels it or closes the server', async () => {
    const code = (code: string) => expect.objectContaining({ code });
    await expect(lib.TcpServer.listen({ porta: 1 } as never)).rejects.toEqual(code('ERR_MP_INVALID_OPTION'));
    await expect(lib.TcpServer.listen({ port: 70_000 })).rejects.toEqual(code('ERR_MP_INVALID_OPTION'));
    await expect(lib.TcpServer.listen({ handler: () => undefined })).rejects.toEqual(code('ERR_MP_NOT_SENDABLE'));
    await expect(lib.TcpServer.listen({ handlerArgs: [() => 1] })).rejects.toMatchObject({
      code: 'ERR_MP_NOT_SENDABLE',
      message: expect.stringContaining('args[1] is the function'),
    });
    const server = await listen();
    await expect(lib.TcpServer.listen({ port: server.port })).rejects.toEqual(code('EADDRINUSE'));
    await expect(lib.TcpServer.listen({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    const controller = new AbortController();
    const aborting = await listen({ handler: tasks.reportPidThenEcho, signal: controller.signal });
    const exits: number[] = [];
    aborting.on('handlerExit', ({ exitCode }) => exits.push(exitCode));
    await pidOf(await connect(aborting));
    controller.abort();
    await until(() => exits.length === 1, SLOW_MS, 'the handler terminated by the abort');
    expect(exits).toEqual([-15]);
  }, 30_000);
});

describe('stress, on loopback, bounded in count and time', () => {
  it('200 concurrent clients: 200 handler processes, each reply right', async () => {
    const server = await listen({ handler: tasks.reportPidThenEcho });
    const n = 200;
    // 200 Node boots at once: about 150 ms of CPU each, on 2 CPUs shared with whatever else runs.
    const BOOTS_MS = 150_000;
    const all = await Promise.all(Array.from({ length: n }, () => connect(server)));
    const pids = await Promise.all(all.map((c) => pidOf(c, BOOTS_MS)));
    const replies = await Promise.all(all.map((c, i) => within(c.request(`hello ${i} ü`), 60_000, `the echo to client ${i}`)));
    expect(new Set(pids).size).toBe(n);
    expect(replies.filter((r, i) => r !== `HELLO ${i} Ü`)).toEqual([]);
    await Promise.all(all.map((c) => c.finish()));
    await within(server.close(), 60_000, 'close() after 200 clients ended');
  }, 240_000);

  it('clients that vanish mid-message do not disturb the others; every handler ends', async () => {
    const server = await listen({ handler: tasks.reportPidThenEcho });
    const all = await Promise.all(Array.from({ length: 20 }, () => connect(server)));
    const ids = (await Promise.all(all.map((c) => pidOf(c)))).map((pid) => mustIdentify(pid, 'a handler'));
    const results = await Promise.all(
      all.map(async (c, i) => {
        if (i % 2 === 1) {
          await c.write(Buffer.concat([Buffer.from(`cut ${i} `), Buffer.from('😀').subarray(0, 3)]));
          c.destroy();
          return 'vanished';
        }
        return c.request(`kept ${i}`);
      }),
    );
    expect(results).toEqual(all.map((_, i) => (i % 2 === 1 ? 'vanished' : `KEPT ${i}`)));
    await Promise.all(all.filter((_, i) => i % 2 === 0).map((c) => c.finish()));
    for (const id of ids) await ended(id, SLOW_MS, 'every handler');
  }, 60_000);

  it('a 1 MB line comes back whole and upper-cased', async () => {
    const client = await connect(await listen());
    const line = 'abc déf 😀 ß '.repeat(1 << 16).slice(0, 1 << 20);
    expect(Buffer.byteLength(line)).toBeGreaterThan(1 << 20);
    const got = await within(client.request(line), 60_000, 'the echo of 1 MB');
    expect(got === line.toUpperCase()).toBe(true);
  }, 90_000);

  it("a client that never reads: the others are served; its handler's memory stays bounded; it ends with its client", async () => {
    const server = await listen({ handler: tasks.reportPidThenEcho });
    const raw = net.connect({ port: server.port, host: '127.0.0.1' });
    clients.push(raw);
    raw.on('error', () => {});
    const firstLine = await within(new Promise<Buffer>((resolve) => raw.once('data', resolve)), SLOW_MS, "the handler's pid");
    raw.pause(); // from here on, this client reads nothing
    const id = mustIdentify(Number(firstLine.toString().trim()), 'the handler');
    const before = memoryKb(id.pid);
    // 128 MiB, more than every buffer between the two processes holds (loopback's socket buffers
    // autotune to at most tcp_rmem 32 MiB and tcp_wmem 4 MiB each way): what the kernel does not
    // take stays in this process.
    const chunk = Buffer.alloc(1 << 20, 'x');
    for (let i = 0; i < 128; i++) raw.write(chunk);
    // Until the flow has stopped: nothing more leaves this process for half a second.
    for (let last = -1, still = 0; still < 5; await sleep(100)) {
      still = raw.writableLength === last ? still + 1 : 0;
      last = raw.writableLength;
    }
    const other = await connect(server);
    await pidOf(other);
    expect(await within(other.request('others are served'), SLOW_MS, 'the echo')).toBe('OTHERS ARE SERVED');
    const after = memoryKb(id.pid);
    const sentMb = ((128 << 20) - raw.writableLength) / (1 << 20);
    // Bound: reading stops while the reply has not drained, so the handler holds at most one read
    // (64 KiB) and its write buffer (16 KiB high-water mark, overshot by one upper-cased chunk);
    // 24 MiB leaves room for V8's heap growing with garbage, and is far below what the handler
    // would hold without back-pressure: all it read and could not send, as strings.
    const grewMb = (after.peak - before.rss) / 1024;
    if (grewMb >= 24) {
      throw new Error(
        `the handler of a client that never reads grew by ${grewMb.toFixed(1)} MiB (bound 24 MiB) after the client sent ${sentMb.toFixed(1)} MiB: it does not stop reading while its replies back up`,
      );
    }
    raw.destroy();
    await ended(id, SLOW_MS, 'the handler whose client never read and then vanished');
  }, 60_000);
});

/** Binds `port` on loopback with a plain Node server (SO_REUSEADDR, as Node sets it), then lets it go. */
async function bindAgain(port: number): Promise<void> {
  const probe = net.createServer();
  await within(
    new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', resolve);
    }),
    SLOW_MS,
    `binding port ${port} again`,
  );
  await new Promise((resolve) => probe.close(resolve));
}
