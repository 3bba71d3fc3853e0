/**
 * Our library's Pipe and Connection (src/connection.ts over src/shared-ring.ts) across real
 * processes, for what the library promises beyond CPython: end of file comes from a table of the
 * processes holding the sending end (pid and start time), so a writer SIGKILLed without closing
 * ends the pipe, and a child being started holds a slot "in transit" until it attaches (no false
 * end of file when the parent closes its copy at once, and none left hanging when the child never
 * attaches); a message larger than the ring is refused whole; then the pipe's shared memory and
 * refs as a matter of security. Children run the compiled library (dist/src) and the tasks of
 * ./tasks/queues.cjs.
 */
import { closeSync, openSync, readlinkSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as Library from '../../src';
import type * as Reduction from '../../src/reduction';
import { Observations } from '../harness/observations';
import { DIST } from '../harness/paths';
import { within } from '../harness/deadline';
import { expectNothingLeft, expectRefused, fdCount, startMessage } from './shared-object-probes';
import { lib, start, useStartedChildren } from './started-children';

type Connection = Library.Connection;
type ConnectionRef = ReturnType<Connection['toRef']>;
interface Tasks {
  sendAndHang(tag: string, conn: Connection, message: Library.Json): Promise<void>;
  sendAndReturn(tag: string, conn: Connection, message: Library.Json): Promise<void>;
  sendCloseAndWait(tag: string, conn: Connection, message: Library.Json, gate: Library.Lock): Promise<void>;
  makeObjectsAndWait(tag: string): Promise<void>;
  echoPipe(tag: string, conn: Connection, n: number): Promise<void>;
}

/* eslint-disable @typescript-eslint/no-require-imports -- the compiled library and tasks, as children run them */
const { decodeStart } = require(`${DIST}/src/reduction.js`) as typeof Reduction;
const tasks = require(join(__dirname, 'tasks', 'queues.cjs')) as Tasks;
/* eslint-enable @typescript-eslint/no-require-imports */

/** CLOCK_MONOTONIC in ms: the clock of the observation records' `t`. */
const now = (): number => Number(process.hrtime.bigint()) / 1e6;
/** How soon a reader sees the end of file after the last writer's death: it looks every 100 ms or so. */
const EOF_MS = 1_000;
const RING_BYTES = 1 << 20;
/** The writers' table of a ring (src/shared-ring.ts): 112 slots of [pid, start time] from byte 128; a negative mark instead of a start time marks a slot in transit. */
const WRITERS = { offset: 128, slots: 112, count: 60 } as const;
/** Matches any negative mark: a slot held in transit (each transfer has its own). */
const inTransit = {
  $$typeof: Symbol.for('jest.asymmetricMatcher'),
  asymmetricMatch: (n: unknown) => typeof n === 'number' && n < 0,
  toAsymmetricMatcher: () => 'a negative in-transit mark',
} as unknown as number;

let fresh = 0;

/**
 * Starts a freshly booted child (the spare's environment no longer matches) and stops it at once:
 * it is still booting Node, so it has certainly not attached what it was passed.
 */
function startStopped<A extends unknown[]>(target: (...args: A) => unknown, args: A): Library.Process {
  process.env.MP_KIT_PIPE_FRESH = `${process.pid}-${++fresh}`;
  let child: Library.Process;
  try {
    child = start(target, args);
  } finally {
    delete process.env.MP_KIT_PIPE_FRESH;
  }
  process.kill(child.pid!, 'SIGSTOP');
  return child;
}

useStartedChildren(); // a stopped child dies of SIGKILL all the same

/** How a recv() ends, and when: never throws. */
function settled<T>(promise: Promise<T>): Promise<{ value?: T; error?: Error; at: number }> {
  return promise.then(
    (value) => ({ value, at: now() }),
    (error: Error) => ({ error, at: now() }),
  );
}

/** The live slots of the writers' table of the ring `reader` receives from, read from its memfd as another process would. */
function writers(reader: Connection): { pid: number; start: number }[] {
  const { readable } = reader.toRef(); // a receiving end only: toRef() holds no slot for it
  const fd = openSync(`/proc/self/fd/${readable!.fd}`, 'r');
  try {
    const table = Buffer.alloc(WRITERS.slots * 8);
    readSync(fd, table, 0, table.length, WRITERS.offset);
    const count = Buffer.alloc(4);
    readSync(fd, count, 0, 4, WRITERS.count);
    const slots = [];
    for (let slot = 0; slot < WRITERS.slots; slot++) {
      const pid = table.readInt32LE(slot * 8);
      if (pid !== 0) slots.push({ pid, start: table.readInt32LE(slot * 8 + 4) });
    }
    expect(count.readInt32LE(0)).toBe(slots.length); // the count of writers agrees with the table
    return slots;
  } finally {
    closeSync(fd);
  }
}

describe('end of file', () => {
  it("a writer child SIGKILLed without closing its end (the parent's copy closed): a waiting recv() raises EndOfFileError within 1 s", async () => {
    const observations = new Observations();
    const [reader, writer] = lib.Pipe(false);
    const child = start(tasks.sendAndHang, ['pipe-dead-writer', writer, 'hello']);
    await observations.waitFor('sent', { tok: 'pipe-dead-writer' });
    writer.close();
    expect(writers(reader)).toEqual([{ pid: child.pid, start: expect.any(Number) }]);
    await expect(reader.recv()).resolves.toBe('hello');
    const receiving = settled(reader.recv());
    let ended = false;
    void receiving.then(() => (ended = true));
    await sleep(300);
    expect(ended).toBe(false); // the writer lives: no end of file yet, though the parent closed its copy
    const killedAt = now();
    child.kill();
    const { error, at } = await within(receiving, 5_000, 'the end of file');
    expect(error).toMatchObject({ name: 'EndOfFileError', code: 'ERR_MP_EOF' });
    expect(at - killedAt).toBeLessThan(EOF_MS);
    expect(writers(reader)).toEqual([]);
    await child.join();
    expect(child.exitCode).toBe(-9);
  }, 20_000);

  it('the parent closes its copy right after start(), before the child has attached: no false end of file; the message arrives, then EndOfFileError once the child has exited', async () => {
    const observations = new Observations();
    const [reader, writer] = lib.Pipe(false);
    const child = startStopped(tasks.sendAndReturn, ['pipe-in-transit', writer, 'late']);
    try {
      writer.close();
      // The slot held for the child: the parent's pid, marked in transit.
      expect(writers(reader)).toEqual([{ pid: process.pid, start: inTransit }]);
      expect(await reader.poll(300)).toBe(false); // neither a message nor the end of file
    } finally {
      process.kill(child.pid!, 'SIGCONT');
    }
    await expect(within(reader.recv(), 10_000, 'the child’s message')).resolves.toBe('late');
    const [attached] = observations.of('attached', 'pipe-in-transit');
    expect(attached!.conn).toBe('<Connection write-only>');
    await child.join({ timeout: 10_000 });
    expect(child.exitCode).toBe(0);
    const exitedAt = now();
    const { error, at } = await within(settled(reader.recv()), 5_000, 'the end of file');
    expect(error).toMatchObject({ name: 'EndOfFileError' });
    expect(at - exitedAt).toBeLessThan(EOF_MS);
  }, 20_000);

  it("a child killed before it attaches: once the parent's copy is closed, a waiting recv() raises EndOfFileError within 1 s of its death", async () => {
    const [reader, writer] = lib.Pipe(false);
    const child = startStopped(tasks.sendAndReturn, ['pipe-never-attached', writer, 'never']);
    writer.close();
    expect(writers(reader)).toEqual([{ pid: process.pid, start: inTransit }]);
    const receiving = settled(reader.recv());
    let ended = false;
    void receiving.then(() => (ended = true));
    await sleep(300);
    expect(ended).toBe(false); // held for the child while it lives
    const killedAt = now();
    child.kill();
    const { error, value, at } = await within(receiving, 5_000, 'the end of file');
    expect({ error, value }).toEqual({ error: expect.objectContaining({ name: 'EndOfFileError' }), value: undefined });
    expect(at - killedAt).toBeLessThan(EOF_MS);
    expect(writers(reader)).toEqual([]);
    await child.join();
    expect(child.exitCode).toBe(-9);
  }, 20_000);

  // BUG (src/shared-ring.ts, releaseInTransit; src/connection.ts, withTransfers): when a child
  // exits, the parent frees "its" in-transit slot by slot number and the in-transit mark alone. If
  // that child attached and later closed its end, the slot was freed and may since have been given
  // to the next child being started, whose in-transit mark is the same: the first child's exit then
  // frees the second child's slot. With the parent's own copy closed, the reader sees end of file
  // while the second child is still starting, and its message is never read (Pipe's promise: end
  // of file only once no process holds the sending end). Fix: mark each transfer uniquely (e.g. a
  // per-transfer generation in the start-time word, which takeOverWriter and releaseInTransit
  // compare-and-swap), or have the parent forget a transfer once the child has taken it over.
  // Remove `.failing` once fixed.
  it('BUG: a child that closed its end and exits later does not free the slot now held for the next child being started', async () => {
    const observations = new Observations();
    const [reader, writer] = lib.Pipe(false);
    const gate = new lib.Lock();
    await gate.acquire();
    let gateHeld = true;
    try {
      const first = start(tasks.sendCloseAndWait, ['pipe-aba-first', writer, 'first', gate]);
      await observations.waitFor('closed', { tok: 'pipe-aba-first' });
      // The first child's slot is free again: the next child's in-transit slot is that one.
      const second = startStopped(tasks.sendAndReturn, ['pipe-aba-second', writer, 'second']);
      try {
        writer.close();
        expect(writers(reader)).toEqual([{ pid: process.pid, start: inTransit }]);
        gate.release();
        gateHeld = false;
        await first.join({ timeout: 5_000 });
        expect(first.exitCode).toBe(0);
        await expect(reader.recv()).resolves.toBe('first');
        // Still held for the second child, which has not attached yet: no end of file.
        expect(await reader.poll(300)).toBe(false);
        expect(writers(reader)).toEqual([{ pid: process.pid, start: inTransit }]);
      } finally {
        process.kill(second.pid!, 'SIGCONT');
      }
      await expect(within(reader.recv(), 10_000, 'the second child’s message')).resolves.toBe('second');
      await second.join({ timeout: 10_000 });
      await expect(within(reader.recv(), 5_000, 'the end of file')).rejects.toMatchObject({ name: 'EndOfFileError' });
    } finally {
      if (gateHeld) gate.release();
    }
  }, 30_000);

  // BUG (src/connection.ts, Connection.toRef; src/reduction.ts, encodeItem): refOf() calls toRef()
  // to find a shared object among an item, and a sending end's toRef() takes a writer's slot "in
  // transit" even outside start() (no withTransfers() to release it). Queue.put() and send() then
  // refuse the item (only start() passes connections), but the slot stays taken for ever, held by
  // this process's own pid: closing every copy of the end no longer gives the reader end of file
  // (recv() waits for ever), and 112 refused puts exhaust the table. Fix: take the slot only inside
  // withTransfers() (transfers !== null), or let encodeItem() recognise shared objects without
  // calling toRef(). Remove `.failing` once fixed.
  it('BUG: a sending end refused by Queue.put() and send() is not held for anyone: closing it still ends the pipe', async () => {
    const [reader, writer] = lib.Pipe(false);
    const queue = new lib.Queue();
    const [, other] = lib.Pipe();
    await expect(queue.put(writer as unknown as Library.Json)).rejects.toMatchObject({ name: 'NotSendableError' });
    await expect(other.send({ end: writer } as unknown as Library.Json)).rejects.toMatchObject({ name: 'NotSendableError' });
    writer.close();
    expect(writers(reader)).toEqual([]); // checked first: with the slots held, recv() below would wait for ever
    await expect(within(reader.recv(), EOF_MS, 'the end of file')).rejects.toMatchObject({ name: 'EndOfFileError' });
  });
});

describe('message size', () => {
  it('a message larger than the 1 MiB ring is refused at send() with NotSendableError naming its size, and nothing is sent; the largest that fits goes through whole', async () => {
    const [left, right] = lib.Pipe();
    const largest = RING_BYTES - 4; // the frame's 4-byte length and its JSON fill the ring exactly
    const tooLarge: [Library.Json, number][] = [
      ['x'.repeat(largest - 2 + 1), largest + 1],
      ['é'.repeat(600_000), 1_200_002], // counted in UTF-8 bytes, not characters
      [{ data: 'x'.repeat(2 * RING_BYTES) }, 2 * RING_BYTES + 11],
    ];
    for (const [message, bytes] of tooLarge) {
      await expect(within(right.send(message), 2_000, 'the refusal')).rejects.toMatchObject({
        name: 'NotSendableError',
        code: 'ERR_MP_NOT_SENDABLE',
        message: expect.stringContaining(`is ${bytes} bytes as JSON, more than`),
      });
      await expect(within(left.send(message), 2_000, 'the refusal')).rejects.toMatchObject({ code: 'ERR_MP_NOT_SENDABLE' });
    }
    expect(await left.poll(0)).toBe(false);
    expect(await right.poll(0)).toBe(false);
    // The largest message fits, whole; a second one waits until the first is read.
    const fits = 'y'.repeat(largest - 2);
    await within(right.send(fits), 5_000, 'the send of the largest message');
    const next = right.send('next');
    await expect(within(left.recv(), 5_000, 'the largest message')).resolves.toBe(fits);
    await within(next, 5_000, 'the send after it');
    await expect(left.recv()).resolves.toBe('next');
    expect(await left.poll(0)).toBe(false);
  }, 20_000);

  // BUG (src/connection.ts, send: `errors.itemTooLarge('Connection.send', ...)`; src/errors.ts,
  // itemTooLarge, which appends `.put()` and speaks of "the queue's buffer"): the refusal of a
  // message too large reads "Connection.send.put(): the item is N bytes as JSON, more than the
  // queue's buffer holds", naming a method that does not exist and a queue where there is a pipe.
  // Fix: let itemTooLarge take the whole operation name and the buffer's owner. Remove `.failing`
  // once fixed.
  it('BUG: the refusal of a message too large names Connection.send() and the pipe, not a queue', async () => {
    const [, right] = lib.Pipe();
    let error: Error | undefined;
    await right.send('x'.repeat(RING_BYTES)).catch((e: Error) => (error = e));
    expect(error?.message).toMatch(/^Connection\.send\(\): /);
    expect(error?.message).not.toMatch(/queue/);
  });
});

describe('resources', () => {
  it('2,000 round trips with a child over a duplex Pipe, then end of file, and both ends dropped: no descriptor, mapping or thread left', async () => {
    // Without a forced GC, at most the two rings the run made may still be mapped.
    await expectNothingLeft(async () => {
      expect(await roundTrips(2_000)).toEqual({ exitCode: 0, wrong: -1, end: 'EndOfFileError' });
    }, 2);
  }, 30_000);
});

describe('security and the wire format', () => {
  it('the memory of each direction of a Pipe is an anonymous memfd of mode 0600, owned by this uid, the size of its ring', () => {
    const [reader] = lib.Pipe(false);
    const { readable } = reader.toRef();
    const file = `/proc/self/fd/${readable!.fd}`;
    const status = statSync(file);
    expect({ mode: (status.mode & 0o7777).toString(8), uid: status.uid, size: status.size }).toEqual({
      mode: '600',
      uid: process.getuid!(),
      size: 1024 + RING_BYTES,
    });
    expect(readlinkSync(file)).toBe('/memfd:mp-kit-shared (deleted)');
  });

  /** A well-formed start message whose `shared` table is given; everything else is valid. */

  /** decodeStart(text) must throw an error matching `expected`, and open nothing while doing so. */

  const bad = (detail: string): RegExp =>
    new RegExp(`^invalid start message \\(wire format v4 expected\\): a shared object's ref ${detail}`);

  it('a malformed Connection ref (no end, a bad segment, a bad transfer slot) is refused, naming its problem, before anything is opened', async () => {
    const observations = new Observations();
    start(tasks.makeObjectsAndWait, ['pipe-malformed-refs']);
    const [made] = await observations.waitFor('made', { tok: 'pipe-malformed-refs' });
    const ref = made!.reader as ConnectionRef;
    const segment = ref.readable!;
    expect(ref).toMatchObject({ type: 'Connection', writable: null, transfer: null });
    const at = ['args', 0];
    const noEnd = bad('has no valid segments');
    const slot = bad('has a bad transfer slot');
    const cases: [unknown, RegExp][] = [
      [{ ...ref, readable: null, writable: null }, noEnd],
      [{ ...ref, readable: undefined }, noEnd],
      [{ ...ref, readable: 'fd 3' }, noEnd],
      [{ ...ref, readable: { ...segment, size: 256 * 2 ** 20 + 1 } }, noEnd],
      [{ ...ref, readable: { ...segment, size: 2 ** 53 } }, noEnd],
      [{ ...ref, readable: { ...segment, tag: segment.tag.toUpperCase().replace(/^[0-9]/, 'A') } }, noEnd],
      [{ ...ref, writable: { ...segment, size: 256 * 2 ** 20 + 1 } }, noEnd],
      [{ ...ref, writable: { ...segment, ino: -1 } }, noEnd],
      [{ ...ref, readable: null, writable: { ...segment, pid: 1.5 } }, noEnd],
      ...[-1, 112, 1.5, '0', true, undefined].map((transfer): [unknown, RegExp] => [{ ...ref, transfer }, slot]),
      ...[-1, 112, 2 ** 31].map((transfer): [unknown, RegExp] => [{ ...ref, readable: null, writable: segment, transfer }, slot]),
    ];
    for (const [malformed, expected] of cases) expectRefused(startMessage({ shared: [{ at, ref: malformed }] }), expected);

    // The control: the ref well formed is attached (one descriptor more) and receives what the child sent.
    const before = fdCount();
    const decoded = decodeStart(startMessage({ shared: [{ at, ref }] })).args[0] as unknown as Connection;
    expect(fdCount()).toBe(before + 1);
    expect(String(decoded)).toBe('<Connection read-only>');
    await expect(within(decoded.recv(), 5_000, 'the child’s message')).resolves.toBe('from the child');
  }, 20_000);
});

/**
 * `n` messages sent to a child that echoes each back over a duplex Pipe, then the end of file once
 * it has exited; in a function of its own, so nothing refers to the pipe afterwards.
 */
async function roundTrips(n: number): Promise<{ exitCode: number | null; wrong: number; end: string }> {
  const [mine, theirs] = lib.Pipe();
  const child = start(tasks.echoPipe, ['pipe-round-trips', theirs, n]);
  theirs.close();
  let wrong = -1;
  for (let i = 0; i < n; i++) {
    await mine.send(i);
    if ((await within(mine.recv(), 10_000, `the echo of ${i}`)) !== i && wrong < 0) wrong = i;
  }
  await child.join({ timeout: 10_000 });
  const end = await within(mine.recv(), 5_000, 'the end of file').then(String, (error: Error) => error.name);
  mine.close();
  return { exitCode: child.exitCode, wrong, end };
}
