/**
 * The CPython adapter's own guarantees (not rules of the seeds, so they live in the kit project):
 * no Python process outlives the TypeScript side, even when that side is killed abruptly, a
 * Python traceback reaches a failing spec's message, and shared objects (locks, values, queues,
 * pipes) made in the parent reach children as the implementation's own.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UNSENDABLE, type Adapter, type Arg, type Json, type ProcessHandle } from '../adapter';
import createAdapter from './cpython';
import { Agent, DEFAULT_PYTHON } from './cpython-agent';
import { Observations } from '../harness/observations';
import { DIST } from '../harness/paths';
import { descendants, readProc } from '../harness/proc';

const exists = (pid: number): boolean => readProc(pid) !== null;

/** The pids still there after `within` ms (with zombiesCount, a zombie counts as gone). */
async function gone(pids: number[], within: number, { zombiesCount = false } = {}): Promise<number[]> {
  const there = (pid: number): boolean => (zombiesCount ? (readProc(pid)?.state ?? 'Z') !== 'Z' : exists(pid));
  const deadline = Date.now() + within;
  let left = pids.filter(there);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(20);
    left = pids.filter(there);
  }
  return left;
}

describe.each(['fork', 'spawn', 'forkserver'])('cpython adapter (%s)', (startMethod) => {
  it('when the TypeScript side is SIGKILLed, the agent and its children go too', async () => {
    // A separate Node process holds the adapter, starts a long child, prints the pids, and is killed.
    const holder = `
      const create = require(${JSON.stringify(join(DIST, 'spec/adapters/cpython.js'))}).default;
      (async () => {
        const mp = await create({ startMethod: ${JSON.stringify(startMethod)} });
        const p = await mp.Process({ target: 'sleepFor', args: ['holder', 60000] });
        await p.start();
        process.stdout.write(JSON.stringify({ child: await p.pid() }) + '\\n');
      })();`;
    const node = spawn(process.execPath, ['-e', holder], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve) => node.stdout.once('data', (d: Buffer) => resolve(d.toString())));
    const { child } = JSON.parse(line) as { child: number };
    const below = descendants(node.pid!).map((p) => p.pid);
    expect(below).toContain(child);
    const exited = new Promise((resolve) => node.once('exit', resolve));
    node.kill('SIGKILL');
    await exited;
    expect(await gone(below, 10_000)).toEqual([]);
  }, 30_000);
});

describe('cpython adapter errors', () => {
  it('a Python traceback reaches the rejection message', async () => {
    const mp = await createAdapter({});
    try {
      // A fixture failing inside Python: an op the isolation fixture does not know.
      const failure = mp.callInParent('applyToGlobal', [[{ op: 'bogus' }]]);
      await expect(failure).rejects.toThrow(/Traceback[\s\S]*ValueError: unknown list op 'bogus'/);
    } finally {
      await mp.close();
    }
  }, 20_000);
});

// Shared objects: Lock(), RLock() and Value() made in the agent, passed to children as the
// implementation's own objects ({"$shared": n} among args or kwargs), used from the parent on one
// thread per lock (agent-protocol.md). Children are the fixtures of fixtures/README.md, with
// tokens of our own (no tracked adapter here), reporting through the observation channel.
describe.each(['fork', 'spawn'])('cpython adapter shared objects (%s)', (startMethod) => {
  let mp: Adapter;
  let dir: string;
  let serial = 0;
  const token = (): string => `shared-${startMethod}-${++serial}`;

  beforeAll(async () => {
    mp = await createAdapter({ startMethod });
    dir = mkdtempSync(join(tmpdir(), 'cpython-shared-'));
  }, 30_000);
  afterAll(async () => {
    await mp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  async function started(target: string, args: Arg[], kwargs?: Record<string, Arg>): Promise<ProcessHandle> {
    const p = await mp.Process({ target, args, ...(kwargs && { kwargs }) });
    await p.start();
    return p;
  }
  async function joined(p: ProcessHandle): Promise<number | null> {
    await p.join({ timeout: 10_000 });
    return p.exitCode();
  }

  it('declares Lock, RLock and Value, and has the members', () => {
    for (const member of ['Lock', 'RLock', 'Value'] as const) {
      expect(mp.capabilities.has(member)).toBe(true);
      expect(typeof mp[member]).toBe('function');
    }
  });

  it("a parent's Lock reaches the child: held there, a non-blocking or timed acquire here is false", async () => {
    const seen = new Observations();
    const lock = await mp.Lock!();
    expect(lock.kind).toBe('Lock');
    const gate = join(dir, `gate-${serial}`);
    const tok = token();
    const child = await started('holdLockUntilGate', [tok, lock, gate]);
    await seen.waitFor('acquired', { tok });
    expect(await lock.acquire({ block: false })).toBe(false);
    const begin = Date.now();
    expect(await lock.acquire({ timeout: 100 })).toBe(false);
    expect(Date.now() - begin).toBeGreaterThanOrEqual(90);
    // A blocking acquire waits on the lock's own thread in the agent: other requests still answer.
    const waiting = lock.acquire();
    expect(await mp.activeChildren()).toEqual([{ pid: await child.pid(), name: await child.name() }]);
    writeFileSync(gate, '');
    expect(await waiting).toBe(true);
    await seen.waitFor('released', { tok });
    expect(await joined(child)).toBe(0);
    await lock.release();
    await expect(lock.release()).rejects.toMatchObject({ code: 'ERR_MP_NOT_HELD', pythonType: 'ValueError' });
  }, 20_000);

  it('a child acquires what the parent released, and a Lock the child made itself is its own', async () => {
    const seen = new Observations();
    const lock = await mp.Lock!();
    expect(await lock.acquire()).toBe(true);
    const [held, own] = [token(), token()];
    const children = [await started('tryAcquire', [held, lock, true, 50]), await started('holdOwnLock', [own, 10, null])];
    await seen.waitFor('tried', { tok: held });
    await lock.release();
    const retry = token();
    children.push(await started('tryAcquire', [retry, lock, false, null]));
    for (const child of children) expect(await joined(child)).toBe(0);
    expect(seen.of('tried').map(({ tok, acquired }) => [tok, acquired])).toEqual([
      [held, false],
      [retry, true],
    ]);
    expect(seen.of('tried', held)[0]!.waitedMs).toBeGreaterThanOrEqual(45);
    expect(seen.of('leave', own)).toHaveLength(1);
  }, 20_000);

  it('an RLock is re-entrant and owned: the parent releases what it acquired, a child cannot', async () => {
    const seen = new Observations();
    const rlock = await mp.RLock!();
    expect(rlock.kind).toBe('RLock');
    expect(await rlock.acquire()).toBe(true);
    expect(await rlock.acquire({ block: false })).toBe(true);
    const [releaser, trier] = [token(), token()];
    const children = [await started('releaseLock', [releaser, rlock]), await started('tryAcquire', [trier, rlock, true, 30])];
    for (const child of children) expect(await joined(child)).toBe(0);
    expect(seen.of('releaseFailed', releaser).map(({ kind }) => kind)).toEqual(['not-owner']);
    expect(seen.of('tried', trier).map(({ acquired }) => acquired)).toEqual([false]);
    await rlock.release();
    await rlock.release();
    await expect(rlock.release()).rejects.toMatchObject({ code: 'ERR_MP_NOT_OWNER', pythonType: 'AssertionError' });
  }, 20_000);

  it('a Value: get, set, one lock handle, and a child incrementing it under that lock (passed in kwargs)', async () => {
    const seen = new Observations();
    const value = await mp.Value!('i', 5);
    expect(value.kind).toBe('Value');
    expect(await value.get()).toBe(5);
    await value.set(-0);
    expect(Object.is(await value.get(), 0)).toBe(true);
    await value.set(7);
    const lock = await value.getLock();
    expect(await value.getLock()).toBe(lock);
    expect(lock.kind).toBe('RLock');
    // Held by the parent, the Value is still readable and writable there (one thread re-enters it).
    expect(await lock.acquire()).toBe(true);
    await value.set((await value.get()) + 1);
    const tok = token();
    const child = await started('incrementValue', [tok], { value, n: 50, useLock: true, gateFile: null });
    await seen.waitFor('ready', { tok });
    await lock.release();
    expect(await joined(child)).toBe(0);
    expect(seen.of('done', tok).map((o) => o.value)).toEqual([58]);
    expect(await value.get()).toBe(58);
    const real = await mp.Value!('d', -0);
    expect(Object.is(await real.get(), -0)).toBe(true);
    await real.set(2.5);
    expect(await real.get()).toBe(2.5);
  }, 20_000);

  it('a Value made with lock: false has no lock (ERR_MP_NO_LOCK), and still reaches a child', async () => {
    const seen = new Observations();
    const value = await mp.Value!('i', 1, { lock: false });
    await expect(value.getLock()).rejects.toMatchObject({ code: 'ERR_MP_NO_LOCK', pythonType: 'AttributeError' });
    const tok = token();
    expect(await joined(await started('incrementValue', [tok, value, 3, false, null]))).toBe(0);
    expect(seen.of('done', tok).map((o) => o.value)).toEqual([4]);
    expect(await value.get()).toBe(4);
  }, 20_000);

  it('buyTicket under a lock sells one ticket once; lockTree passes its own Lock and Value to its children', async () => {
    const seen = new Observations();
    const lock = await mp.Lock!();
    const file = join(dir, `tickets-${serial}.json`);
    writeFileSync(file, JSON.stringify({ tickets: 1 }));
    const gate = join(dir, `gate-tree-${serial}`);
    const [a, b, tree] = [token(), token(), token()];
    const buyers = [await started('buyTicket', [a, lock, file, 20, gate]), await started('buyTicket', [b, lock, file, 20, gate])];
    const parent = await started('lockTree', [tree, 2, 10, gate]);
    await seen.waitFor('ready', { tok: [a, b, `${tree}.1`, `${tree}.2`], count: 4 });
    const { pids } = (await seen.waitFor('tree', { tok: tree }))[0]!;
    writeFileSync(gate, '');
    for (const buyer of buyers) expect(await joined(buyer)).toBe(0);
    expect(seen.of('bought').map((o) => o.seen)).toEqual([1]);
    expect(seen.of('soldOut').map((o) => o.seen)).toEqual([0]);
    const leaves = await seen.waitFor('leave', { tok: [`${tree}.1`, `${tree}.2`], count: 2 });
    expect(leaves.map((o) => o.value)).toEqual([1, 2]);
    await parent.kill();
    expect(await joined(parent)).toBe(-9);
    // Its children end by themselves (a zombie counts: their new parent reaps them when it will).
    expect(await gone(pids as number[], 5_000, { zombiesCount: true })).toEqual([]);
  }, 20_000);

  it('close() ends the agent promptly while the parent waits for a lock a child holds', async () => {
    const other = await createAdapter({ startMethod });
    const seen = new Observations();
    const lock = await other.Lock!();
    const tok = token();
    const child = await other.Process({ target: 'holdLockForever', args: [tok, lock] });
    await child.start();
    const pid = (await child.pid())!;
    await seen.waitFor('acquired', { tok });
    const waiting = lock.acquire();
    const begin = Date.now();
    await other.close();
    expect(Date.now() - begin).toBeLessThan(3_000); // the agent exited by itself, not after the 5 s SIGKILL
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_MP_AGENT' });
    expect(await gone([pid], 2_000)).toEqual([]);
    // A handle of another adapter is not this one's to pass.
    await expect(mp.Process({ target: 'holdLock', args: [token(), lock, 0, null] })).rejects.toMatchObject({ code: 'ERR_MP_AGENT' });
  }, 20_000);
});

// Queues and pipes: made in the agent, passed to children like the shared objects above, used from
// the parent with one thread per kind of call that may wait (agent-protocol.md, "Threads").
describe.each(['fork', 'spawn'])('cpython adapter queues and pipes (%s)', (startMethod) => {
  let mp: Adapter;
  let serial = 0;
  const token = (): string => `queue-${startMethod}-${++serial}`;
  const ITEMS: Json[] = [1, 'two', { three: [3, 3.5] }, null, -0, true, [], ''];

  beforeAll(async () => {
    mp = await createAdapter({ startMethod });
  }, 30_000);
  afterAll(async () => {
    await mp?.close();
  }, 30_000);

  async function started(target: string, args: Arg[]): Promise<ProcessHandle> {
    const p = await mp.Process({ target, args });
    await p.start();
    return p;
  }
  async function joined(p: ProcessHandle): Promise<number | null> {
    await p.join({ timeout: 10_000 });
    return p.exitCode();
  }
  /** How long `promise` takes to settle, in ms, and how it does. */
  // The clock is read before the call, not after: the call sends its request at once, and a
  // process descheduled between the two (a loaded machine) would start timing after the agent.
  async function timed<T>(call: () => Promise<T>): Promise<{ ms: number; outcome: PromiseSettledResult<T> }> {
    const begin = Date.now();
    const [outcome] = await Promise.allSettled([call()]);
    return { ms: Date.now() - begin, outcome: outcome! };
  }

  it('declares Queue, JoinableQueue and Pipe, and has the members', () => {
    for (const member of ['Queue', 'JoinableQueue', 'Pipe'] as const) {
      expect(mp.capabilities.has(member)).toBe(true);
      expect(typeof mp[member]).toBe('function');
    }
  });

  it('items go through a Queue both ways, in order and unchanged (-0 too)', async () => {
    const seen = new Observations();
    const queue = await mp.Queue!();
    expect(queue.kind).toBe('Queue');
    expect('taskDone' in queue).toBe(false);
    for (const item of ITEMS) await queue.put(item);
    const [consumer, producer] = [token(), token()];
    expect(await joined(await started('consume', [consumer, queue, ITEMS.length, null]))).toBe(0);
    const [consumed] = seen.of('consumed', consumer);
    expect(consumed!.items).toEqual(ITEMS);
    expect(Object.is((consumed!.items as Json[])[4], -0)).toBe(true);
    expect(consumed!.empty).toBe(false);
    const child = await started('produce', [producer, queue, ITEMS, null]);
    const got: Json[] = [];
    for (let i = 0; i < ITEMS.length; i++) got.push(await queue.get({ timeout: 10_000 }));
    expect(got).toEqual(ITEMS);
    expect(Object.is(got[4], -0)).toBe(true);
    expect(await joined(child)).toBe(0);
    expect(seen.of('put', producer).map((o) => o.i)).toEqual(ITEMS.map((_, i) => i));
    expect(seen.of('produced', producer).map((o) => o.count)).toEqual([ITEMS.length]);
  }, 20_000);

  it('Empty and Full, at once or after the timeout; a waiting get or put holds up nothing else', async () => {
    const queue = await mp.Queue!(1);
    await expect(queue.get({ block: false })).rejects.toMatchObject({ code: 'ERR_MP_EMPTY', pythonType: '_queue.Empty' });
    const late = await timed(() => queue.get({ timeout: 100 }));
    expect(late.outcome).toMatchObject({ status: 'rejected', reason: { code: 'ERR_MP_EMPTY' } });
    expect(late.ms).toBeGreaterThanOrEqual(90);
    expect(await queue.empty()).toBe(true);
    await queue.put('a');
    expect(await queue.full()).toBe(true);
    expect(await queue.qsize()).toBe(1);
    await expect(queue.put('b', { block: false })).rejects.toMatchObject({ code: 'ERR_MP_FULL', pythonType: 'queue.Full' });
    const full = await timed(() => queue.put('b', { timeout: 100 }));
    expect(full.outcome).toMatchObject({ status: 'rejected', reason: { code: 'ERR_MP_FULL' } });
    expect(full.ms).toBeGreaterThanOrEqual(90);
    // A put waiting for room: the parent's own get makes it, and the put then completes.
    const waitingPut = queue.put('c');
    expect(await queue.qsize()).toBe(1);
    expect(await queue.get()).toBe('a');
    await waitingPut;
    expect(await queue.get()).toBe('c');
    // A get waiting for an item: qsize and put still answer, and the put feeds it.
    const waitingGet = queue.get();
    expect(await queue.qsize()).toBe(0);
    await queue.put('d');
    expect(await waitingGet).toBe('d');
  }, 20_000);

  it("a child catches the implementation's Full and Empty by class", async () => {
    const seen = new Observations();
    const queue = await mp.Queue!(1);
    await queue.put('first');
    // put() hands the item to the feeder thread: wait until it is in the pipe, so the child's get finds it.
    while (await queue.empty()) await sleep(2);
    const tok = token();
    expect(await joined(await started('catchQueueErrors', [tok, queue, 'second']))).toBe(0);
    expect(seen.of('caught', tok).map((o) => o.outcomes)).toEqual([['Full', 'ok', 'Empty']]);
  }, 20_000);

  it('an unsendable item: put accepts it and the feeder thread drops it; send refuses it (ERR_MP_NOT_SENDABLE)', async () => {
    const queue = await mp.Queue!();
    await queue.put(UNSENDABLE as unknown as Json);
    await queue.put({ after: [1] });
    expect(await queue.get({ timeout: 10_000 })).toEqual({ after: [1] });
    const [, end] = await mp.Pipe!();
    await expect(end.send(UNSENDABLE as unknown as Json)).rejects.toMatchObject({
      code: 'ERR_MP_NOT_SENDABLE',
      message: /unsendableValue/,
    });
  }, 20_000);

  it('a closed Queue refuses put and get (ERR_MP_QUEUE_CLOSED)', async () => {
    const queue = await mp.Queue!();
    await queue.close();
    await expect(queue.put(1)).rejects.toMatchObject({ code: 'ERR_MP_QUEUE_CLOSED', pythonType: 'ValueError' });
    await expect(queue.get({ block: false })).rejects.toMatchObject({ code: 'ERR_MP_QUEUE_CLOSED', pythonType: 'ValueError' });
    await queue.close(); // a second close() is fine
  }, 20_000);

  it("JoinableQueue: join() returns once a child's task_done() matched every put; one task_done too many is an error", async () => {
    const seen = new Observations();
    const queue = await mp.JoinableQueue!();
    expect(queue.kind).toBe('JoinableQueue');
    await queue.join!(); // nothing put: at once
    await queue.put('x');
    const joining = queue.join!();
    let done = false;
    void joining.then(() => (done = true));
    // join() waits on a thread of its own in the agent: puts still go in meanwhile.
    await queue.put('y');
    const bounded = Date.now();
    await queue.join!({ timeout: 100 }); // the kit's budget: resolves when the time is up
    expect(Date.now() - bounded).toBeGreaterThanOrEqual(90);
    expect(done).toBe(false);
    const tok = token();
    const worker = await started('workJoinable', [tok, queue, 2]);
    await joining;
    expect(await joined(worker)).toBe(0);
    expect(seen.of('worked', tok).map((o) => o.items)).toEqual([['x', 'y']]);
    await expect(queue.taskDone!()).rejects.toMatchObject({ code: 'ERR_MP_TOO_MANY_TASK_DONE', pythonType: 'ValueError' });
  }, 20_000);

  it('a duplex Pipe: a child echoes; a waiting recv holds up no send through the same end', async () => {
    const seen = new Observations();
    const [here, there] = await mp.Pipe!();
    expect([here.kind, there.kind]).toEqual(['Connection', 'Connection']);
    const tok = token();
    const echo = await started('pipeEcho', [tok, there, ITEMS.length]);
    for (const item of ITEMS) {
      const back = here.recv();
      await here.send(item);
      expect(await back).toEqual(item);
    }
    expect(await joined(echo)).toBe(0);
    expect(seen.of('echoed', tok).map((o) => o.count)).toEqual([ITEMS.length]);
    expect(await here.poll(0)).toBe(false);
    const polled = await timed(() => here.poll(100));
    expect(polled.outcome).toEqual({ status: 'fulfilled', value: false });
    expect(polled.ms).toBeGreaterThanOrEqual(90);
  }, 20_000);

  it("a one-way Pipe: the child's sends, then end of file once every copy of the sending end is closed", async () => {
    const seen = new Observations();
    const [reader, writer] = await mp.Pipe!(false);
    const tok = token();
    const sender = await started('pipeSend', [tok, writer, ITEMS, true]);
    expect(await joined(sender)).toBe(0);
    expect(seen.of('sent', tok).map((o) => o.count)).toEqual([ITEMS.length]);
    const got: Json[] = [];
    for (let i = 0; i < ITEMS.length; i++) got.push(await reader.recv());
    expect(got).toEqual(ITEMS);
    // The parent's own copy of the sending end keeps the pipe open: poll waits, then says no.
    expect(await reader.poll(50)).toBe(false);
    await writer.close();
    expect(await reader.poll(1_000)).toBe(true);
    await expect(reader.recv()).rejects.toMatchObject({ code: 'ERR_MP_EOF', pythonType: 'EOFError' });
    await expect(writer.send(1)).rejects.toMatchObject({ code: 'ERR_MP_CONNECTION_CLOSED', pythonType: 'OSError' });
  }, 20_000);

  it('a one-way Pipe used the wrong way: ERR_MP_READ_ONLY here, read-only / write-only in a child', async () => {
    const seen = new Observations();
    const [reader, writer] = await mp.Pipe!(false);
    await expect(reader.send(1)).rejects.toMatchObject({ code: 'ERR_MP_READ_ONLY', message: /connection is read-only/ });
    await expect(writer.recv()).rejects.toMatchObject({ code: 'ERR_MP_READ_ONLY', message: /connection is write-only/ });
    // One after the other: the child on the reader would otherwise receive what the other one sends.
    const [onReader, onWriter] = [token(), token()];
    expect(await joined(await started('pipeMisuse', [onReader, reader]))).toBe(0);
    expect(await joined(await started('pipeMisuse', [onWriter, writer]))).toBe(0);
    expect(seen.of('misused', onReader).map(({ send, recv }) => [send, recv])).toEqual([['read-only', 'ok']]);
    expect(seen.of('misused', onWriter).map(({ send, recv }) => [send, recv])).toEqual([['ok', 'write-only']]);
    expect(await reader.recv()).toBe(1); // what the child sent through the writer
  }, 20_000);

  it(
    startMethod === 'fork'
      ? 'pipeReceive until end of file: a fork child inherited the sending end too, so it never sees it'
      : 'pipeReceive until end of file: the child sees it once the parent closes the sending end',
    async () => {
      const seen = new Observations();
      const [reader, writer] = await mp.Pipe!(false);
      const tok = token();
      const receiver = await started('pipeReceive', [tok, reader, null]);
      for (const item of ITEMS) await writer.send(item);
      await writer.close();
      if (startMethod === 'fork') {
        // CPython's fork child holds a copy of every descriptor the parent had, the writer's too.
        await sleep(300);
        expect(await receiver.isAlive()).toBe(true);
        expect(seen.of('received', tok)).toEqual([]);
        await receiver.kill();
        expect(await joined(receiver)).toBe(-9);
        return;
      }
      expect(await joined(receiver)).toBe(0);
      expect(seen.of('received', tok).map(({ items, eof }) => [items, eof])).toEqual([[ITEMS, true]]);
    },
    20_000,
  );

  it('pipeSendLarge: a send waiting for the reader holds up nothing; queueTree passes its own Queue to its children', async () => {
    const seen = new Observations();
    const [reader, writer] = await mp.Pipe!(false);
    const tok = token();
    // 4 x 100 kB: more than a pipe holds, so the child's sends wait for the parent's reads.
    const sender = await started('pipeSendLarge', [tok, writer, 'z', 100_000, 4]);
    for (let i = 0; i < 4; i++) expect(await reader.recv()).toBe('z'.repeat(100_000));
    expect(await joined(sender)).toBe(0);
    expect(seen.of('sent', tok).map((o) => o.count)).toEqual([4]);
    // The other way: the parent's send waits in the agent for a reader; its other calls do not.
    const big = 'y'.repeat(200_000);
    const sending = writer.send(big);
    const [other] = await mp.Pipe!();
    expect(await other.poll(0)).toBe(false);
    expect(await reader.recv()).toBe(big);
    await sending;
    const tree = token();
    const parent = await started('queueTree', [tree, ITEMS, null]);
    const [consumed] = await seen.waitFor('consumed', { tok: `${tree}.2` });
    expect(consumed!.items).toEqual(ITEMS);
    expect(seen.of('produced', `${tree}.1`).map((o) => o.count)).toEqual([ITEMS.length]);
    await parent.kill();
    expect(await joined(parent)).toBe(-9);
  }, 20_000);

  it('close() ends the agent promptly with a get and a recv waiting and a feeder stuck on a full pipe', async () => {
    const other = await createAdapter({ startMethod });
    const queue = await other.Queue!();
    const waiting = queue.get();
    const stuck = await other.Queue!();
    await stuck.put('w'.repeat(1_000_000)); // nobody reads it: the feeder thread waits in write()
    const [reader] = await other.Pipe!();
    const receiving = reader.recv();
    const begin = Date.now();
    await other.close();
    expect(Date.now() - begin).toBeLessThan(3_000); // the agent exited by itself, not after the 5 s SIGKILL
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_MP_AGENT' });
    await expect(receiving).rejects.toMatchObject({ code: 'ERR_MP_AGENT' });
  }, 20_000);
});

describe('cpython agent: releasing a queue', () => {
  it('a released Queue whose feeder thread waits on a full pipe does not hold up the agent at exit', async () => {
    const agent = await Agent.start('agent', { python: DEFAULT_PYTHON, module: 'multiprocessing', startMethod: 'fork' });
    let closed = false;
    try {
      const { handle } = (await agent.request('shared', { maker: 'Queue' })) as { handle: number };
      await agent.request('call', { handle, method: 'put', args: ['w'.repeat(1_000_000)] });
      await agent.request('release', { handle }); // the last reference: the Queue is collected, its feeder goes on
      await agent.request('ping');
      const begin = Date.now();
      await agent.close();
      closed = true;
      expect(Date.now() - begin).toBeLessThan(3_000); // the agent exited by itself, not after the 5 s SIGKILL
    } finally {
      if (!closed) await agent.close();
    }
  }, 20_000);
});

describe('cpython adapter shared objects (multiprocessing.dummy)', () => {
  it('members and capabilities follow the module; a member its Value or Queue lacks is missing', async () => {
    const mp = await createAdapter({ settings: { module: 'multiprocessing.dummy' } });
    try {
      expect([...mp.capabilities].sort()).toEqual(['JoinableQueue', 'Lock', 'Pipe', 'Queue', 'RLock', 'Value']);
      const lock = await mp.Lock!();
      await expect(lock.release()).rejects.toMatchObject({ code: 'ERR_MP_NOT_HELD', pythonType: 'RuntimeError' });
      const value = await mp.Value!('i', 3);
      expect(await value.get()).toBe(3);
      await expect(value.getLock()).rejects.toMatchObject({ code: 'ERR_MP_MISSING_MEMBER' });
      // Its Queue is queue.Queue: the same Empty, no close().
      const queue = await mp.Queue!();
      await expect(queue.get({ block: false })).rejects.toMatchObject({ code: 'ERR_MP_EMPTY' });
      await queue.put([1]);
      expect(await queue.get()).toEqual([1]);
      await expect(queue.close()).rejects.toMatchObject({ code: 'ERR_MP_MISSING_MEMBER' });
      const joinable = await mp.JoinableQueue!();
      await expect(joinable.taskDone!()).rejects.toMatchObject({ code: 'ERR_MP_TOO_MANY_TASK_DONE' });
      const [a, b] = await mp.Pipe!();
      await a.send('hi');
      expect(await b.recv()).toBe('hi');
    } finally {
      await mp.close();
    }
  }, 20_000);
});
