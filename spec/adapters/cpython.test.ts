/**
 * The CPython adapter's own guarantees (not rules of the seeds, so they live in the kit project):
 * no Python process outlives the TypeScript side, even when that side is killed abruptly, a
 * Python traceback reaches a failing spec's message, and shared objects made in the parent reach
 * children as the implementation's own.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Adapter, Arg, ProcessHandle } from '../adapter';
import createAdapter from './cpython';
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

describe('cpython adapter shared objects (multiprocessing.dummy)', () => {
  it('members and capabilities follow the module; a member its Value lacks is missing', async () => {
    const mp = await createAdapter({ settings: { module: 'multiprocessing.dummy' } });
    try {
      expect([...mp.capabilities].sort()).toEqual(['Lock', 'RLock', 'Value']);
      const lock = await mp.Lock!();
      await expect(lock.release()).rejects.toMatchObject({ code: 'ERR_MP_NOT_HELD', pythonType: 'RuntimeError' });
      const value = await mp.Value!('i', 3);
      expect(await value.get()).toBe(3);
      await expect(value.getLock()).rejects.toMatchObject({ code: 'ERR_MP_MISSING_MEMBER' });
    } finally {
      await mp.close();
    }
  }, 20_000);
});
