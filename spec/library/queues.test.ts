/**
 * Our library's Queue and JoinableQueue (src/queues.ts over src/shared-ring.ts) across real
 * processes, for what the library promises beyond CPython: the ring's read and write locks are
 * robust (a SIGKILLed holder does not wedge the queue), a frame is published and released by one
 * store each (a killed producer or consumer loses nothing that was not in its hands, and nothing
 * torn arrives), an unbounded queue's waiting items are flushed before a child exits, a bounded
 * one keeps its producer's memory bounded, taskDone() counts atomically across processes; then the
 * queue's shared memory and refs as a matter of security, and API basics the Q rules do not ask.
 * Children run the compiled library (dist/src) and the tasks of ./tasks/queues.cjs.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, readlinkSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as Library from '../../src';
import type * as Reduction from '../../src/reduction';
import { Observations } from '../harness/observations';
import { DIST } from '../harness/paths';
import { within } from '../harness/deadline';
import { expectNothingLeft, expectRefused, fdCount, startMessage } from './shared-object-probes';
import { lib, start, useStartedChildren } from './started-children';

type Queue = Library.Queue;
type Json = Library.Json;
interface StreamItem {
  i: number;
  pad: string;
}
interface Tasks {
  streamItem(i: number): StreamItem;
  getOnce(tag: string, queue: Queue, options: Library.QueueWaitOptions): Promise<void>;
  produceForever(tag: string, queue: Queue, file: string): Promise<void>;
  consumeForever(tag: string, queue: Queue, file: string): Promise<void>;
  putManyAndReturn(tag: string, queue: Queue, n: number): Promise<void>;
  putBounded(tag: string, queue: Queue, n: number): Promise<void>;
  taskDoneStorm(tag: string, queue: Library.JoinableQueue, gate: Library.Value, calls: number): void;
  makeObjectsAndWait(tag: string): Promise<void>;
  echoQueue(tag: string, inbox: Queue, outbox: Queue, n: number): Promise<void>;
}

/* eslint-disable @typescript-eslint/no-require-imports -- the compiled library and tasks, as children run them */
const { decodeStart } = require(`${DIST}/src/reduction.js`) as typeof Reduction;
const tasks = require(join(__dirname, 'tasks', 'queues.cjs')) as Tasks;
/* eslint-enable @typescript-eslint/no-require-imports */

/** CLOCK_MONOTONIC in ms: the clock of the observation records' `t`. */
const now = (): number => Number(process.hrtime.bigint()) / 1e6;
/** How late a wait may end on a loaded 2-core machine. */
const LATE_MS = 250;
/** How soon a dead lock holder is noticed: its waiters re-check every 100 ms. */
const TAKEOVER_MS = 1_000;
/** Where the ring's words are (src/shared-ring.ts): the read and write locks' [pid | contended, start time], the frame count, JoinableQueue's unfinished count. */
const WORD = { readLock: 16, writeLock: 24, count: 40, unfinished: 52 } as const;
const PID_MASK = (1 << 30) - 1;
const RING_BYTES = 1 << 20;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mp-kit-queues-'));
});

useStartedChildren();

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Milliseconds `promise` took to settle, and its outcome (an error is returned, not thrown). */
async function timed<T>(promise: () => Promise<T>): Promise<{ result: T | Error; ms: number }> {
  const begin = now();
  const result = await promise().catch((error: Error) => error);
  return { result, ms: now() - begin };
}

/** Polls `test` every 2 ms; throws after `ms`, naming `what`. */
async function until(test: () => boolean, ms: number, what: string): Promise<void> {
  for (const deadline = Date.now() + ms; !test(); await sleep(2)) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
  }
}

/** A 32-bit word of a queue's ring, read from its memfd as another process would. */
function word(queue: Queue, offset: number): number {
  const fd = openSync(`/proc/self/fd/${queue.toRef().segment.fd}`, 'r');
  try {
    const bytes = Buffer.alloc(4);
    readSync(fd, bytes, 0, 4, offset);
    return bytes.readInt32LE(0);
  } finally {
    closeSync(fd);
  }
}

/** The numbers a task wrote to `file`, one per line (a line cut by a SIGKILL is left out). */
function lines(file: string): number[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .slice(0, -1)
    .map((line) => Number(line));
}

/** Gets until the queue stays empty for `quietMs`. */
async function drain(queue: Queue, quietMs = 300): Promise<Json[]> {
  const out: Json[] = [];
  for (;;) {
    try {
      out.push(await queue.get({ timeout: quietMs }));
    } catch (error) {
      if ((error as Error).name === 'Empty') return out;
      throw error;
    }
  }
}

/** 0, 1, ..., n - 1. */
const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** The first index where `items` is not streamItem(0), streamItem(1), ...: -1 if none. */
function firstBadStreamItem(items: readonly Json[]): number {
  return items.findIndex((item, i) => {
    const expected = tasks.streamItem(i);
    const got = item as unknown as StreamItem;
    return typeof item !== 'object' || item === null || got.i !== i || got.pad !== expected.pad || Object.keys(item).length !== 2;
  });
}

describe('reliability', () => {
  it('a consumer SIGKILLed while it waits in get() (holding the read lock) does not wedge the queue: the parent, already waiting, gets the next item within 1 s', async () => {
    const observations = new Observations();
    const queue = new lib.Queue();
    const victim = start(tasks.getOnce, ['q-dead-getter', queue, {}]);
    await observations.waitFor('waiting', { tok: 'q-dead-getter' });
    await until(() => (word(queue, WORD.readLock) & PID_MASK) === victim.pid, 5_000, "the child's taking the read lock");
    // The parent waits in its turn: for the lock, which the child holds while it waits for data.
    const getting = queue.get({ timeout: 5_000 }).then(
      (item) => ({ item, at: now() }),
      (error: Error) => ({ item: error, at: now() }),
    );
    await sleep(150);
    const killedAt = now();
    victim.kill();
    await queue.put('next');
    const { item, at } = await getting;
    expect(item).toBe('next');
    expect(at - killedAt).toBeLessThan(TAKEOVER_MS);
    await victim.join();
    expect(victim.exitCode).toBe(-9);
    expect(observations.of('got', 'q-dead-getter')).toEqual([]);
    // The lock was taken over, not left half-held: the queue goes on in both directions.
    await queue.put('again');
    await expect(queue.get({ timeout: 1_000 })).resolves.toBe('again');
    expect(word(queue, WORD.readLock)).toBe(0);
  }, 20_000);

  it('a producer SIGKILLed while it waits in put() on a full queue (holding the write lock) does not wedge it: the parent, already waiting to put, puts within 1 s', async () => {
    const queue = new lib.Queue(1);
    // The child fills the queue and blocks in its second put, holding the write lock.
    const file = join(dir, 'dead-putter');
    const producer = start(tasks.produceForever, ['q-dead-putter', queue, file]);
    await until(
      () => lines(file).length === 1 && (word(queue, WORD.writeLock) & PID_MASK) === producer.pid,
      5_000,
      'the blocked second put',
    );
    const putting = queue.put('parent', { timeout: 5_000 }).then(
      () => ({ error: null, at: now() }),
      (error: Error) => ({ error, at: now() }),
    );
    await sleep(150);
    const killedAt = now();
    producer.kill();
    await expect(queue.get({ timeout: 1_000 })).resolves.toEqual(tasks.streamItem(0));
    const { error, at } = await putting;
    expect(error).toBeNull();
    expect(at - killedAt).toBeLessThan(TAKEOVER_MS);
    await expect(queue.get({ timeout: 1_000 })).resolves.toBe('parent');
    expect(lines(file)).toEqual([0]);
    await producer.join();
    expect(producer.exitCode).toBe(-9);
  }, 20_000);

  it('a producer SIGKILLed in the middle of a stream: every item whose put() had returned arrives exactly once, in order, intact, and nothing else but whole items', async () => {
    const queue = new lib.Queue(100);
    const file = join(dir, 'stream-produced');
    const producer = start(tasks.produceForever, ['q-killed-producer', queue, file]);
    const received: Json[] = [];
    // About 750 bytes an item: the 1 MiB ring wraps every 1,400 items, at a different place in a frame each time.
    while (lines(file).length < 6_000) {
      for (let k = 0; k < 50; k++) received.push(await queue.get({ timeout: 10_000 }));
    }
    producer.kill();
    await producer.join();
    expect(producer.exitCode).toBe(-9);
    received.push(...(await drain(queue)));
    const returned = lines(file);
    expect(returned).toEqual(upTo(returned.length));
    expect(firstBadStreamItem(received)).toBe(-1);
    // The put whose return was not yet written down may be there too: at most that one more.
    expect(received.length).toBeGreaterThanOrEqual(returned.length);
    expect(received.length).toBeLessThanOrEqual(returned.length + 1);
    // Whatever the producer held (the write lock, as a rule) is taken over.
    const after = await timed(() => queue.put('after', { timeout: 5_000 }));
    expect(after.result).toBeUndefined();
    expect(after.ms).toBeLessThan(TAKEOVER_MS);
    await expect(queue.get({ timeout: 1_000 })).resolves.toBe('after');
    expect(queue.qsize()).toBe(0);
  }, 30_000);

  it('a consumer SIGKILLed in the middle of a stream: every item it did not take is still there, in order, for the next consumer', async () => {
    const n = 20_000; // about 1.7 MB: more than the ring holds, so this process's puts wait and flow as the child takes
    const queue = new lib.Queue();
    for (let i = 0; i < n; i++) await queue.put({ i, pad: 'c'.repeat(60) });
    const file = join(dir, 'stream-consumed');
    const victim = start(tasks.consumeForever, ['q-killed-consumer', queue, file]);
    await until(() => lines(file).length >= 2_000, 10_000, "the victim's first 2,000 items");
    victim.kill();
    await victim.join();
    expect(victim.exitCode).toBe(-9);
    // The rest flows on as it is taken: this process's waiting items are written as room frees.
    const rest = (await drain(queue)).map((item) => (item as { i: number }).i);
    await within(queue.flushed(), 1_000, 'the flush of the queued items');
    const taken = lines(file);
    expect(taken).toEqual(upTo(taken.length));
    expect(taken.length).toBeLessThan(n - 2_000); // killed mid-stream indeed
    // The one item the victim may have taken without writing it down is the only one allowed missing.
    const from = rest[0]!;
    expect([taken.length, taken.length + 1]).toContain(from);
    expect(rest).toEqual(upTo(n).slice(from));
  }, 30_000);

  it("close() in the parent while children wait in get() with a timeout: the parent's last item still goes out, and the other child gets Empty at its timeout", async () => {
    const observations = new Observations();
    const queue = new lib.Queue();
    const tags = ['q-close-a', 'q-close-b'];
    const children = tags.map((tag) => start(tasks.getOnce, [tag, queue, { timeout: 800 }]));
    await observations.waitFor('waiting', { tok: tags, count: 2 });
    await sleep(50);
    const put = queue.put('last words');
    queue.close();
    queue.close();
    await put;
    expect(String(queue)).toMatch(/ closed>$/);
    await expect(queue.get({ block: false })).rejects.toMatchObject({ name: 'QueueClosedError', code: 'ERR_MP_QUEUE_CLOSED' });
    await expect(queue.put(1)).rejects.toMatchObject({
      code: 'ERR_MP_QUEUE_CLOSED',
      message: 'Queue.put(): the queue is closed in this process',
    });
    for (const child of children) {
      await child.join({ timeout: 5_000 });
      expect(child.exitCode).toBe(0);
    }
    const got = observations.of('got', tags);
    const failed = observations.of('failed', tags);
    expect(got).toEqual([expect.objectContaining({ item: 'last words' })]);
    expect(got[0]!.waitedMs).toBeLessThan(800);
    expect(failed).toEqual([expect.objectContaining({ error: expect.objectContaining({ name: 'Empty', code: 'ERR_MP_EMPTY' }) })]);
    expect(failed[0]!.waitedMs).toBeGreaterThanOrEqual(798);
    expect(failed[0]!.waitedMs).toBeLessThan(800 + LATE_MS);
  }, 20_000);

  it('a child that puts 50,000 items on an unbounded queue (more than its 1 MiB ring) and returns: it lives until they are written, and all arrive in order', async () => {
    const observations = new Observations();
    const n = 50_000;
    const queue = new lib.Queue();
    const child = start(tasks.putManyAndReturn, ['q-exit-flush', queue, n]);
    const [returned] = await observations.waitFor('returned', { tok: 'q-exit-flush' });
    expect(returned!.qsize).toBe(n);
    await sleep(300);
    // About 2 MB were put: half of them still wait in the child, which must not exit yet.
    expect(child.exitCode).toBeNull();
    const items: Json[] = [];
    for (let i = 0; i < n; i++) items.push(await queue.get({ timeout: 10_000 }));
    await child.join({ timeout: 10_000 });
    expect(child.exitCode).toBe(0);
    expect(items.findIndex((item, i) => (item as { i: number }).i !== i)).toBe(-1);
    await expect(queue.get({ timeout: 100 })).rejects.toMatchObject({ name: 'Empty' });
  }, 30_000);

  it("Queue(10) holds back a producer of 200,000 items while the parent consumes slowly at first: the producer's RSS stays bounded", async () => {
    const n = 200_000;
    const queue = new lib.Queue(10);
    const producer = start(tasks.putBounded, ['q-backpressure', queue, n]);
    /** The producer's resident memory in MB, or null once it has exited (a zombie has none). */
    const rss = (): number | null => {
      const found = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${producer.pid}/status`, 'utf8'));
      return found ? Math.round(Number(found[1]) / 1024) : null;
    };
    let got = 0;
    let wrong = -1;
    const take = async (): Promise<void> => {
      const item = (await queue.get({ timeout: 10_000 })) as { i: number };
      if (item.i !== got && wrong < 0) wrong = got;
      got++;
    };
    while (got < 1_000) await take();
    const samples = [rss()];
    await sleep(500); // slow: a producer that buffered in-process would have swallowed everything by now
    samples.push(rss());
    expect(queue.qsize()).toBeLessThanOrEqual(10);
    while (got < n) {
      await take();
      // The last sample while the producer still waits to put its last items.
      if ((got % 20_000 === 0 && got < n) || got === n - 20) samples.push(rss());
    }
    await producer.join({ timeout: 10_000 });
    expect(producer.exitCode).toBe(0);
    expect(wrong).toBe(-1);
    const [baseline, ...later] = samples.filter((mb) => mb !== null);
    expect({ samples, growthUnder20MB: Math.max(...later) - baseline! < 20 }).toEqual({ samples, growthUnder20MB: true });
    expect(samples).not.toContain(null); // alive at every sample: it could not finish ahead of the consumer
  }, 40_000);

  it('JoinableQueue: 4 children call taskDone() at once, 24,000 times for 20,000 items: exactly 20,000 succeed, the rest raise TooManyTaskDoneError there, and the count never goes below 0', async () => {
    const observations = new Observations();
    const n = 20_000;
    const queue = new lib.JoinableQueue();
    for (let i = 0; i < n; i++) await queue.put(i);
    await queue.flushed();
    expect(word(queue, WORD.unfinished)).toBe(n);
    const gate = new lib.Value('i', 0, { lock: false });
    const tags = [0, 1, 2, 3].map((i) => `q-task-done-${i}`);
    const children = tags.map((tag) => start(tasks.taskDoneStorm, [tag, queue, gate, 6_000]));
    await observations.waitFor('ready', { tok: tags, count: tags.length });
    const joined = queue.join().then(() => now());
    await sleep(20);
    expect(word(queue, WORD.unfinished)).toBe(n);
    gate.value = 1;
    for (const child of children) {
      await child.join({ timeout: 10_000 });
      expect(child.exitCode).toBe(0);
    }
    await within(joined, 5_000, 'join() after the last taskDone()');
    const done = observations.of('done', tags);
    expect(done).toHaveLength(4);
    const errors: Record<string, number> = {};
    for (const o of done)
      for (const [key, count] of Object.entries(o.errors as Record<string, number>)) errors[key] = (errors[key] ?? 0) + count;
    expect({ ok: done.reduce((sum, o) => sum + (o.ok as number), 0), errors }).toEqual({
      ok: n,
      errors: { 'TooManyTaskDoneError/ERR_MP_TOO_MANY_TASK_DONE': 4_000 },
    });
    expect(word(queue, WORD.unfinished)).toBe(0);
    // Not below 0: one more item makes join() wait again, for as long as its timeout.
    await queue.put('one more');
    const waited = await timed(() => queue.join({ timeout: 300 }));
    expect(waited.ms).toBeGreaterThanOrEqual(298);
    queue.taskDone();
    expect((await timed(() => queue.join())).ms).toBeLessThan(100);
    expect(() => queue.taskDone()).toThrow(expect.objectContaining({ name: 'TooManyTaskDoneError' }));
  }, 30_000);
});

describe('resources', () => {
  it('2,000 round trips with a child over two queues, then both dropped: no descriptor, mapping or thread left', async () => {
    // Without a forced GC, at most the two rings the run made may still be mapped.
    await expectNothingLeft(async () => {
      expect(await roundTrips(2_000)).toEqual({ exitCode: 0, wrong: -1 });
    }, 2);
  }, 30_000);
});

describe('security and the wire format', () => {
  it('the memory of a Queue and a JoinableQueue is an anonymous memfd of mode 0600, owned by this uid, the size of its ring', () => {
    for (const queue of [new lib.Queue(), new lib.JoinableQueue(5)]) {
      const { segment } = queue.toRef();
      const file = `/proc/self/fd/${segment.fd}`;
      const status = statSync(file);
      expect({ mode: (status.mode & 0o7777).toString(8), uid: status.uid, size: status.size }).toEqual({
        mode: '600',
        uid: process.getuid!(),
        size: 1024 + RING_BYTES,
      });
      expect(segment.size).toBe(status.size);
      expect(readlinkSync(file)).toBe('/memfd:mp-kit-shared (deleted)');
    }
  });

  /** A well-formed start message whose `shared` table is given; everything else is valid. */

  /** decodeStart(text) must throw an error matching `expected`, and open nothing while doing so. */

  const bad = (detail: string): RegExp =>
    new RegExp(`^invalid start message \\(wire format v4 expected\\): a shared object's ref ${detail}`);

  type QueueRef = ReturnType<Queue['toRef']>;

  /** The refs of a Queue (holding one item), a JoinableQueue and a Lock that a child made and holds: segments this process does not map. */
  async function foreignRefs(tag: string): Promise<{ queue: QueueRef; joinable: QueueRef; lock: { segment: QueueRef['segment'] } }> {
    const observations = new Observations();
    start(tasks.makeObjectsAndWait, [tag]);
    const [made] = await observations.waitFor('made', { tok: tag });
    return made as unknown as { queue: QueueRef; joinable: QueueRef; lock: { segment: QueueRef['segment'] } };
  }

  it('a malformed Queue or JoinableQueue ref (maxsize, segment) is refused, naming its problem, before anything is opened', async () => {
    const { queue, joinable } = await foreignRefs('q-malformed-refs');
    expect(queue.type).toBe('Queue');
    expect(joinable).toMatchObject({ type: 'JoinableQueue', maxsize: 3 });
    const at = ['args', 0];
    const cases: [unknown, RegExp][] = [];
    for (const ref of [queue, joinable]) {
      for (const maxsize of [-1, 1.5, '10', null, true, 2 ** 53, undefined]) cases.push([{ ...ref, maxsize }, bad('has a bad maxsize')]);
      for (const segment of [
        { ...ref.segment, size: 256 * 2 ** 20 + 1 },
        { ...ref.segment, size: 2 ** 40 },
        { ...ref.segment, size: 32 },
        { ...ref.segment, size: '1049600' },
        { ...ref.segment, pid: -ref.segment.pid },
        { ...ref.segment, fd: 2 ** 53 },
        { ...ref.segment, tag: 'zz' },
        null,
        undefined,
      ]) {
        cases.push([{ ...ref, segment }, bad('has no valid segment')]);
      }
    }
    for (const [ref, expected] of cases) expectRefused(startMessage({ shared: [{ at, ref }] }), expected);

    // The control: the same refs well formed are attached (one descriptor more) and work.
    const before = fdCount();
    const decoded = decodeStart(startMessage({ shared: [{ at, ref: queue }] })).args[0] as unknown as Queue;
    expect(fdCount()).toBe(before + 1);
    expect(decoded).toBeInstanceOf(lib.Queue);
    await expect(decoded.get({ timeout: 1_000 })).resolves.toBe('from the child');
    const decodedJoinable = decodeStart(startMessage({ shared: [{ at, ref: joinable }] })).args[0] as unknown as Library.JoinableQueue;
    expect(decodedJoinable).toBeInstanceOf(lib.JoinableQueue);
    expect(decodedJoinable.maxsize).toBe(3);
  }, 20_000);

  // BUG (src/handles.ts, checkRef): a Queue's or Connection's segment is checked only as a segment
  // (64 bytes to 256 MiB), not as a ring, so a ref naming a Lock's 64-byte segment passes, the
  // segment is attached (a descriptor and a mapping more, until collected), and SharedRing's
  // constructor then fails with a RangeError ("Invalid typed array length: 256") instead of a
  // start-message error. Fix: refuse a Queue or Connection segment whose size is not RING_HEADER
  // plus a power of two (src/shared-ring.ts: positions wrap cleanly only then) in checkRef.
  // Remove `.failing` once fixed.
  it("BUG: a Queue or Connection ref naming a segment too small for a ring (a Lock's) is refused as a malformed start message, opening nothing", async () => {
    const { lock } = await foreignRefs('q-lock-as-ring');
    const { segment } = lock;
    expectRefused(
      startMessage({ shared: [{ at: ['args', 0], ref: { type: 'Queue', segment, offset: 1024, maxsize: 0 } }] }),
      /^invalid start message/,
    );
    const pipeEnd = { type: 'Connection', readable: segment, writable: null, offset: 1024, transfer: null };
    expectRefused(startMessage({ shared: [{ at: ['args', 0], ref: pipeEnd }] }), /^invalid start message/);
  }, 20_000);
});

describe('API basics', () => {
  it('put() of a value that is not JSON is refused with NotSendableError naming it, nothing is queued, and the queue works after', async () => {
    const onDone = (): void => {};
    const cases: [unknown, string][] = [
      [onDone, 'the item is the function onDone'],
      [new Date(0), 'the item is an instance of Date'],
      [NaN, 'the item is NaN'],
      [-Infinity, 'the item is -Infinity'],
      [{ a: [1, undefined] }, 'the item.a[1] is undefined'],
      [10n, 'the item is a bigint'],
      [new Map(), 'the item is an instance of Map'],
      [new lib.Lock(), 'the item holds a Lock, RLock, Value, Queue or Connection, which only start() can pass to a process'],
    ];
    for (const queue of [new lib.Queue(), new lib.Queue(2), new lib.JoinableQueue()]) {
      const name = queue.constructor.name;
      for (const [value, problem] of cases) {
        await expect(queue.put(value as Json)).rejects.toMatchObject({
          name: 'NotSendableError',
          code: 'ERR_MP_NOT_SENDABLE',
          message: expect.stringContaining(`${name}.put(): ${problem}`),
        });
      }
      // Larger than the ring: refused, naming its size.
      await expect(queue.put('x'.repeat(RING_BYTES))).rejects.toMatchObject({
        code: 'ERR_MP_NOT_SENDABLE',
        message: `${name}.put(): the item is ${RING_BYTES + 2} bytes as JSON, more than the queue's buffer holds (${RING_BYTES - 4} bytes)`,
      });
      expect(queue.qsize()).toBe(0);
      if (queue instanceof lib.JoinableQueue) {
        expect(word(queue, WORD.unfinished)).toBe(0); // a refused item is not an unfinished task
        expect((await timed(() => queue.join({ timeout: 1_000 }))).ms).toBeLessThan(100);
      }
      await queue.put({ ok: [1, 'two', null] });
      await expect(queue.get({ timeout: 1_000 })).resolves.toEqual({ ok: [1, 'two', null] });
      expect(queue.qsize()).toBe(0);
    }
  });

  it('an AbortSignal ends a waiting get() (for data or for the read lock) and put() (on a full queue) with AbortError; the queue works after', async () => {
    const queue = new lib.Queue(1);
    const first = new AbortController();
    const second = new AbortController();
    // The first waits for data with the read lock, the second for the lock itself.
    const forData = timed(() => queue.get({ signal: first.signal }));
    const forLock = timed(() => queue.get({ timeout: 10_000, signal: second.signal }));
    await sleep(60);
    second.abort();
    const lockWait = await within(forLock, 5_000, 'the end of the aborted wait for the lock');
    expect(lockWait.result).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    expect(lockWait.ms).toBeLessThan(60 + LATE_MS);
    await sleep(20);
    first.abort();
    const dataWait = await within(forData, 5_000, 'the end of the aborted wait for data');
    expect(dataWait.result).toMatchObject({ name: 'AbortError' });
    expect(dataWait.ms).toBeGreaterThanOrEqual(78);
    expect(dataWait.ms).toBeLessThan(80 + LATE_MS);
    expect(word(queue, WORD.readLock)).toBe(0); // released by the aborted get
    // Already aborted: refused at once.
    await expect(queue.get({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });

    await queue.put('in');
    const third = new AbortController();
    const putting = timed(() => queue.put('never', { signal: third.signal }));
    setTimeout(() => third.abort(), 60);
    const putWait = await within(putting, 5_000, 'the end of the aborted put');
    expect(putWait.result).toMatchObject({ name: 'AbortError' });
    expect(putWait.ms).toBeLessThan(60 + LATE_MS);
    expect(word(queue, WORD.writeLock)).toBe(0);
    expect(queue.qsize()).toBe(1);
    await expect(queue.get({ timeout: 1_000 })).resolves.toBe('in');
    await queue.put('out', { timeout: 1_000 });
    await expect(queue.get({ timeout: 1_000 })).resolves.toBe('out');
  });

  // BUG (src/shared-ring.ts, sleepOn): the abort listener is added after the signal may already
  // have fired, and `signal.aborted` is checked only after the futex wait. An abort that comes
  // after get()'s first check but before it sleeps (`const p = q.get({ signal }); c.abort();`,
  // the same tick) is never seen: get() without a timeout on an empty queue waits for ever (with
  // a timeout, until the timeout). The same for put() on a full queue and JoinableQueue.join().
  // Fix: in sleepOn, check `signal.aborted` once the listener is added and before waiting.
  // Remove `.failing` once fixed.
  it('BUG: an abort in the same tick as get() still ends it with AbortError', async () => {
    const queue = new lib.Queue();
    const controller = new AbortController();
    const getting = queue.get({ signal: controller.signal });
    controller.abort();
    try {
      await expect(within(getting, 1_000, 'the end of the get() aborted at once')).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      await queue.put('wake'); // lets the waiting get() end, whatever happened
      await getting.catch(() => undefined);
    }
  });

  it('invalid options are refused with InvalidOptionError naming the option, and nothing is put or taken', async () => {
    const queue = new lib.Queue();
    await queue.put('kept');
    await queue.flushed();
    const cases: [unknown, RegExp][] = [
      [{ timeout: -1 }, /expected the 'timeout' option to be a non-negative number of milliseconds, got -1 \(number\)/],
      [{ timeout: NaN }, /'timeout' option .* got NaN/],
      [{ timeout: '5' }, /'timeout' option .* got "5" \(string\)/],
      [{ block: 'no' }, /expected the 'block' option to be a boolean, got "no" \(string\)/],
      [{ block: 0 }, /'block' option .* got 0 \(number\)/],
      [null, /expected its options to be an object, got null/],
      ['fast', /expected its options to be an object/],
    ];
    for (const [options, message] of cases) {
      const get = queue.get(options as Library.QueueWaitOptions);
      await expect(get).rejects.toMatchObject({
        name: 'InvalidOptionError',
        code: 'ERR_MP_INVALID_OPTION',
        message: expect.stringMatching(/^Queue\.get\(\) /),
      });
      await expect(get).rejects.toThrow(message);
      await expect(queue.put('refused', options as Library.QueueWaitOptions)).rejects.toMatchObject({
        name: 'InvalidOptionError',
        message: expect.stringMatching(/^Queue\.put\(\) /),
      });
    }
    expect(() => new lib.Queue(1.5)).toThrow(
      expect.objectContaining({ name: 'InvalidOptionError', message: expect.stringContaining('maxsize') }),
    );
    expect(queue.qsize()).toBe(1);
    await expect(queue.get({ timeout: 1_000 })).resolves.toBe('kept');
    await expect(queue.get({ block: false })).rejects.toMatchObject({ name: 'Empty' });
  });
});

/** `n` items sent to a child that echoes each back over a second queue; in a function of its own, so nothing refers to the queues afterwards. */
async function roundTrips(n: number): Promise<{ exitCode: number | null; wrong: number }> {
  const inbox = new lib.Queue();
  const outbox = new lib.Queue(1);
  const child = start(tasks.echoQueue, ['q-round-trips', inbox, outbox, n]);
  let wrong = -1;
  for (let i = 0; i < n; i++) {
    await inbox.put(i);
    if ((await outbox.get({ timeout: 10_000 })) !== i && wrong < 0) wrong = i;
  }
  await child.join({ timeout: 10_000 });
  return { exitCode: child.exitCode, wrong };
}
