/**
 * Our library's Lock and RLock (src/synchronize.ts) across real processes, beyond what the L rules
 * ask of every implementation: the API's own options and errors, what happens when a holder or a
 * waiter is SIGKILLed or the creator of a lock leaves, that thousands of hand-overs lose neither a
 * count nor a descriptor, and that a child gets one object per lock. Children run the compiled
 * library (dist/src) and the tasks of ./tasks/shared-objects.cjs, and report through the
 * observation channel.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';
import type * as Library from '../../src';
import { Observations, type Observation } from '../harness/observations';
import { hasEnded, type ProcessId } from '../harness/proc';
import { lib, start, useStartedChildren } from './started-children';
import { within } from '../harness/deadline';
import { expectNothingLeft } from './shared-object-probes';

type Lock = Library.Lock | Library.RLock;
type Value = Library.Value;
interface Tasks {
  holdUntilGate(tag: string, lock: Lock, gate: Library.Lock): Promise<void>;
  holdForever(tag: string, lock: Lock): Promise<void>;
  waitForLock(tag: string, lock: Lock, timeoutMs: number): Promise<void>;
  tryThenRelease(tag: string, lock: Lock, timeoutMs: number): Promise<void>;
  reportIdentity(tag: string, a: Lock, b: Lock, value: Value, lockOfValue: Lock, nested: { deep: Lock[] }): void;
  hammer(tag: string, lock: Lock, value: Value, n: number, gate: Lock): Promise<void>;
  createAndLeave(tag: string, n: number, rounds: number, how: 'exit' | 'SIGKILL'): Promise<void>;
}

/* eslint-disable @typescript-eslint/no-require-imports -- the compiled library and tasks, as children run them */
const tasks = require(join(__dirname, 'tasks', 'shared-objects.cjs')) as Tasks;
/* eslint-enable @typescript-eslint/no-require-imports */

/** CLOCK_MONOTONIC in ms: the clock of the observation records' `t`. */
const now = (): number => Number(process.hrtime.bigint()) / 1e6;
/** How late a wait may end on a loaded 2-core machine, and how soon "at once" is. */
const LATE_MS = 250;
const AT_ONCE_MS = 100;
/** How soon a waiter in one process has a lock that another process released. */
const HANDOVER_MS = 500;

useStartedChildren();

/** The name and code of the error `promise` rejects with, exactly (a resolution fails the test). */
async function kindOf(promise: Promise<unknown>): Promise<{ name: unknown; code: unknown }> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${String(value)}`);
    },
    (e: unknown) => e as { name?: unknown; code?: unknown },
  );
  return { name: error.name, code: error.code };
}

/** The lock held by a child until the returned function lets it go (a gate lock the test holds). */
async function holdInChild(lock: Lock, tag: string): Promise<{ child: Library.Process; held: Observation; letGo(): Promise<void> }> {
  const observations = new Observations();
  const gate = new lib.Lock();
  await gate.acquire();
  const child = start(tasks.holdUntilGate, [tag, lock, gate]);
  const [held] = await observations.waitFor('acquired', { tok: tag });
  const letGo = async (): Promise<void> => {
    gate.release();
    await observations.waitFor('released', { tok: tag });
    await child.join();
    expect(child.exitCode).toBe(0);
  };
  return { child, held: held!, letGo };
}

/** Milliseconds `promise` took to settle, and its outcome. */
async function timed<T>(promise: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const begin = now();
  const result = await promise();
  return { result, ms: now() - begin };
}

/** The lock word itself (0 free, 1 held, 2 held with waiters), read from the memfd as another process would. */
function lockWord(lock: Lock): number {
  const { segment, offset } = lock.toRef();
  return readFileSync(`/proc/self/fd/${segment.fd}`).readInt32LE(offset);
}

describe('Lock: the API', () => {
  it('acquire() and release() in one process; a Lock is not re-entrant; toString() names the holder', async () => {
    const lock = new lib.Lock();
    expect(String(lock)).toBe('<Lock(owner=None)>');
    await expect(lock.acquire()).resolves.toBe(true);
    expect(String(lock)).toBe('<Lock(owner=MainProcess)>');
    expect(inspect(lock)).toBe('<Lock(owner=MainProcess)>');
    await expect(lock.acquire({ block: false })).resolves.toBe(false);
    lock.release();
    expect(String(lock)).toBe('<Lock(owner=None)>');
    await expect(lock.acquire({ block: false })).resolves.toBe(true);
    lock.release();
  });

  it('a lock a child holds: block:false fails at once, a timeout waits that long, a negative or zero timeout does not wait', async () => {
    const lock = new lib.Lock();
    const { child, held, letGo } = await holdInChild(lock, 'sync-api-held');
    expect(held.str).toBe(`<Lock(owner=${child.name})>`);
    expect(String(lock)).toBe('<Lock(owner=SomeOtherProcess)>');

    const noBlock = await timed(() => lock.acquire({ block: false, timeout: 5_000 }));
    expect(noBlock.result).toBe(false);
    expect(noBlock.ms).toBeLessThan(AT_ONCE_MS);

    for (const timeout of [150, 40]) {
      const wait = await timed(() => lock.acquire({ timeout }));
      expect(wait.result).toBe(false);
      expect(wait.ms).toBeGreaterThanOrEqual(timeout - 2);
      expect(wait.ms).toBeLessThan(timeout + LATE_MS);
    }
    for (const timeout of [-1, -1000, 0]) {
      const wait = await timed(() => lock.acquire({ timeout }));
      expect({ timeout, result: wait.result }).toEqual({ timeout, result: false });
      expect(wait.ms).toBeLessThan(AT_ONCE_MS);
    }
    await letGo();
    // A timeout that does not wait still takes a free lock, as CPython's acquire(timeout=-1).
    await expect(lock.acquire({ timeout: -1 })).resolves.toBe(true);
    lock.release();
    await expect(lock.acquire({ timeout: 0 })).resolves.toBe(true);
    lock.release();
  }, 20_000);

  it('a wait ends as soon as the holder (a child) releases, long before its timeout', async () => {
    const observations = new Observations();
    const lock = new lib.Lock();
    const { letGo } = await holdInChild(lock, 'sync-api-handover');
    const waiting = lock.acquire({ timeout: 10_000 }).then((result) => ({ result, at: now() }));
    await sleep(100);
    await letGo();
    const { result, at } = await waiting;
    const [released] = observations.of('released', 'sync-api-handover');
    expect(result).toBe(true);
    expect(at - released!.t).toBeLessThan(HANDOVER_MS);
    expect(String(lock)).toBe('<Lock(owner=MainProcess)>');
    lock.release();
  }, 20_000);

  it('an AbortSignal ends a wait with AbortError (code ABORT_ERR), and the aborted waiter does not hold the lock', async () => {
    const lock = new lib.Lock();
    const { letGo } = await holdInChild(lock, 'sync-api-abort');
    for (const options of [{}, { timeout: 10_000 }]) {
      const controller = new AbortController();
      const begin = now();
      const waiting = lock.acquire({ ...options, signal: controller.signal });
      setTimeout(() => controller.abort(), 60);
      expect(await kindOf(within(waiting, 5_000, 'the end of the aborted wait'))).toEqual({ name: 'AbortError', code: 'ABORT_ERR' });
      expect(now() - begin).toBeGreaterThanOrEqual(58);
      expect(now() - begin).toBeLessThan(60 + LATE_MS);
    }
    // Already aborted, while another process holds it: rejects without waiting.
    expect(await kindOf(lock.acquire({ signal: AbortSignal.abort() }))).toEqual({ name: 'AbortError', code: 'ABORT_ERR' });
    expect(String(lock)).toBe('<Lock(owner=SomeOtherProcess)>');
    await letGo();
    // Had an aborted wait taken the lock after all, it would be held now.
    expect(String(lock)).toBe('<Lock(owner=None)>');
    await expect(lock.acquire({ block: false })).resolves.toBe(true);
    lock.release();
  }, 20_000);

  it('withLock() returns what the function returns and releases the lock when it throws', async () => {
    for (const lock of [new lib.Lock(), new lib.RLock()]) {
      await expect(lock.withLock(() => 42)).resolves.toBe(42);
      await expect(
        lock.withLock(async () => {
          await sleep(1);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(String(lock)).toMatch(/^<(Lock\(owner=None|RLock\(None, 0)\)>$/);
      await expect(lock.acquire({ block: false })).resolves.toBe(true);
      lock.release();
    }
  });

  it('bad options are refused with InvalidOptionError naming the option, and leave the lock as it was', async () => {
    for (const lock of [new lib.Lock(), new lib.RLock()]) {
      const where = lock instanceof lib.RLock ? 'RLock.acquire()' : 'Lock.acquire()';
      const cases: [unknown, string][] = [
        ['now', `${where} expected its options to be an object, got "now" (string)`],
        [null, `${where} expected its options to be an object, got null`],
        [{ block: 1 }, `${where} expected the 'block' option to be a boolean, got 1 (number)`],
        [{ timeout: '5' }, `${where} expected the 'timeout' option to be a number of milliseconds, got "5" (string)`],
        [{ timeout: NaN }, `${where} expected the 'timeout' option to be a number of milliseconds, got NaN (number)`],
        [{ signal: {} }, `${where} expected the 'signal' option to be an AbortSignal, got a plain object (object)`],
      ];
      for (const [options, message] of cases) {
        const attempt = lock.acquire(options as Library.AcquireOptions);
        await expect(attempt).rejects.toThrow(message);
        expect(await kindOf(attempt)).toEqual({ name: 'InvalidOptionError', code: 'ERR_MP_INVALID_OPTION' });
        await expect(attempt).rejects.toBeInstanceOf(TypeError);
      }
      expect(String(lock)).toMatch(/owner=None|None, 0/);
      // An RLock checks them when it already owns the lock, too.
      if (lock instanceof lib.RLock) {
        await lock.acquire();
        await expect(lock.acquire({ block: 'no' } as unknown as Library.AcquireOptions)).rejects.toThrow(/'block' option/);
        expect(String(lock)).toBe('<RLock(MainProcess, 1)>');
        lock.release();
      }
    }
  });

  it('releasing a Lock that is not held throws NotHeldError (ERR_MP_NOT_HELD)', async () => {
    const lock = new lib.Lock();
    const notHeld = { name: 'NotHeldError', code: 'ERR_MP_NOT_HELD' };
    expect(() => lock.release()).toThrow(expect.objectContaining(notHeld));
    expect(() => lock.release()).toThrow(/released too many times/);
    await lock.acquire();
    lock.release();
    expect(() => lock.release()).toThrow(expect.objectContaining(notHeld));
    expect(String(lock)).toBe('<Lock(owner=None)>');
  });

  it('any process may release a Lock, as in CPython: a child releases the one the parent holds', async () => {
    const observations = new Observations();
    const lock = new lib.Lock();
    await lock.acquire();
    const child = start(tasks.tryThenRelease, ['sync-api-foreign-release', lock, -1]);
    await child.join();
    expect(child.exitCode).toBe(0);
    const [tried] = observations.of('tried', 'sync-api-foreign-release');
    // waitedMs is the task's own timing (a non-blocking try): every other field is checked exactly.
    const { acquired, releaseError, str } = tried!;
    expect({ acquired, releaseError, str }).toEqual({ acquired: false, releaseError: null, str: '<Lock(owner=None)>' });
    expect(String(lock)).toBe('<Lock(owner=None)>');
    await expect(lock.acquire({ block: false })).resolves.toBe(true);
    lock.release();
  }, 20_000);
});

describe('RLock: the API', () => {
  it('is re-entrant for its owner, counts in toString(), and refuses a release it does not own (NotOwnerError)', async () => {
    const rlock = new lib.RLock();
    expect(String(rlock)).toBe('<RLock(None, 0)>');
    await expect(rlock.acquire()).resolves.toBe(true);
    await expect(rlock.acquire({ block: false })).resolves.toBe(true);
    await expect(rlock.acquire({ timeout: -1 })).resolves.toBe(true);
    expect(String(rlock)).toBe('<RLock(MainProcess, 3)>');
    expect(inspect(rlock)).toBe('<RLock(MainProcess, 3)>');
    rlock.release();
    rlock.release();
    expect(String(rlock)).toBe('<RLock(MainProcess, 1)>');
    rlock.release();
    expect(String(rlock)).toBe('<RLock(None, 0)>');
    const notOwner = { name: 'NotOwnerError', code: 'ERR_MP_NOT_OWNER' };
    expect(() => rlock.release()).toThrow(expect.objectContaining(notOwner));
    expect(() => rlock.release()).toThrow(/does not hold/);
    expect(String(rlock)).toBe('<RLock(None, 0)>');
  });

  it('a child holding it: the parent sees <RLock(SomeOtherProcess, nonzero)>, cannot take it, cannot release it', async () => {
    const rlock = new lib.RLock();
    const { letGo } = await holdInChild(rlock, 'sync-rlock-child-holds');
    expect(String(rlock)).toBe('<RLock(SomeOtherProcess, nonzero)>');
    await expect(rlock.acquire({ timeout: 50 })).resolves.toBe(false);
    expect(() => rlock.release()).toThrow(expect.objectContaining({ code: 'ERR_MP_NOT_OWNER' }));
    await letGo();
    expect(String(rlock)).toBe('<RLock(None, 0)>');
  }, 20_000);

  // BUG (src/synchronize.ts, RLock.acquire): the owner count is set only after take()'s promise
  // settles, so a second acquire() made before that finds the count at 0, waits on the futex for a
  // lock its own process holds, and fails (or, without a timeout, waits for ever). `await
  // Promise.all([r.acquire(), r.acquire()])` deadlocks. Remove `.failing` once it is fixed.
  it('two overlapping acquire() calls of the owning process are both re-entrant', async () => {
    const rlock = new lib.RLock();
    const results = await Promise.all([rlock.acquire(), rlock.acquire({ timeout: 200 })]);
    const shown = String(rlock);
    for (let held = results.filter(Boolean).length; held > 0; held--) rlock.release();
    expect({ results, shown }).toEqual({ results: [true, true], shown: '<RLock(MainProcess, 2)>' });
  });
});

describe('reliability', () => {
  it('a child SIGKILLed while holding a lock leaves it held: a timed acquire returns false on time, no hang', async () => {
    const observations = new Observations();
    const lock = new lib.Lock();
    const child = start(tasks.holdForever, ['sync-dead-holder', lock]);
    await observations.waitFor('acquired', { tok: 'sync-dead-holder' });
    child.kill();
    await child.join();
    expect(child.exitCode).toBe(-9);
    const wait = await timed(() => lock.acquire({ timeout: 200 }));
    expect(wait.result).toBe(false);
    expect(wait.ms).toBeGreaterThanOrEqual(198);
    expect(wait.ms).toBeLessThan(200 + LATE_MS);
    expect(String(lock)).toBe('<Lock(owner=SomeOtherProcess)>');
  }, 20_000);

  it('a child SIGKILLed in its futex wait: the lock still passes from the parent to another waiting child, then back', async () => {
    const observations = new Observations();
    const lock = new lib.Lock();
    await lock.acquire();
    expect(lockWord(lock)).toBe(1);
    const doomed = start(tasks.waitForLock, ['sync-dead-waiter', lock, 60_000]);
    await observations.waitFor('waiting', { tok: 'sync-dead-waiter' });
    // The waiter announces itself (2) right before it sleeps in the kernel.
    for (const deadline = Date.now() + 5_000; lockWord(lock) !== 2; await sleep(2)) {
      if (Date.now() > deadline) throw new Error(`the child never waited: the lock word is ${lockWord(lock)}`);
    }
    await sleep(50);
    doomed.kill();
    await doomed.join();
    expect(doomed.exitCode).toBe(-9);
    expect(observations.of('acquired', 'sync-dead-waiter')).toEqual([]);

    const next = start(tasks.waitForLock, ['sync-next-waiter', lock, 10_000]);
    await observations.waitFor('waiting', { tok: 'sync-next-waiter' });
    await sleep(100); // asleep in the kernel by now
    const released = now();
    lock.release();
    const [got] = await observations.waitFor('acquired', { tok: 'sync-next-waiter', timeout: 10_000 });
    expect(got!.acquired).toBe(true);
    expect(got!.t - released).toBeLessThan(HANDOVER_MS);
    await next.join();
    expect(next.exitCode).toBe(0);
    await expect(lock.acquire({ timeout: 2_000 })).resolves.toBe(true);
    lock.release();
    expect(lockWord(lock)).toBe(0);
  }, 30_000);

  describe.each(['exit', 'SIGKILL'] as const)('the creator of a Lock and a Value leaves (%s) while its children use them', (how) => {
    it('the children carry on, hand them to a child of their own, and count exactly', async () => {
      const tag = `sync-creator-${how}`;
      const n = 3;
      const rounds = 200;
      const observations = new Observations();
      const mine = (o: Observation): boolean => o.tok === tag || o.tok.startsWith(`${tag}.`);
      const orphans = (): ProcessId[] =>
        observations
          .all()
          .filter((o) => mine(o) && o.event === 'attached')
          .map((o) => ({ pid: o.pid, startTime: o.st }));
      try {
        const creator = start(tasks.createAndLeave, [tag, n, rounds, how]);
        await creator.join({ timeout: 15_000 });
        expect(creator.exitCode).toBe(how === 'exit' ? 0 : -9);
        expect(observations.of('leaving', tag)).toEqual([expect.objectContaining({ value: n })]);
        const done = await observations.waitFor('done', { tok: [0, 1, 2].map((i) => `${tag}.${i}`), count: n, timeout: 20_000 });
        const total = n + (n + 1) * rounds;
        // Each child reports the final count, the total it expected, the lock as free, and (the first
        // child only) its own child's exit code.
        const reported = done
          .map(({ tok, value, total: expected, str, grandchildExit }) => ({ tok, value, total: expected, str, grandchildExit }))
          .sort((a, b) => (a.tok < b.tok ? -1 : 1));
        expect(reported).toEqual(
          Array.from({ length: n }, (_, i) => ({
            tok: `${tag}.${i}`,
            value: total,
            total,
            str: '<Lock(owner=None)>',
            grandchildExit: i === 0 ? 0 : null,
          })),
        );
        expect(observations.of('done', `${tag}.0.sub`)).toHaveLength(1);
      } finally {
        for (const id of orphans()) if (!hasEnded(id)) process.kill(id.pid, 'SIGKILL');
        for (const deadline = Date.now() + 5_000; orphans().some((id) => !hasEnded(id)) && Date.now() < deadline;) await sleep(10);
      }
      expect(orphans().filter((id) => !hasEnded(id))).toEqual([]);
    }, 40_000);
  });

  it('8 processes x 1,000 hand-overs of one Lock guarding a Value: exactly 8,000, and no descriptor, mapping or thread left', async () => {
    // Without a forced GC, at most the three segments the run made (lock, value, gate) may still be mapped.
    await expectNothingLeft(async () => {
      const { count, exits } = await hammerFromEightProcesses();
      expect({ count, exits }).toEqual({ count: 8_000, exits: [0, 0, 0, 0, 0, 0, 0] });
    }, 3);
  }, 40_000);

  it('many waiters in one process all get the lock in turn, one at a time; an aborted one does not break the chain', async () => {
    const lock = new lib.Lock();
    await lock.acquire();
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    const controller = new AbortController();
    const waiter = async (i: number): Promise<void> => {
      const options = i === 3 ? { signal: controller.signal } : i % 2 === 0 ? { timeout: 20_000 } : {};
      if (!(await lock.acquire(options))) throw new Error(`waiter ${i} timed out`);
      inside++;
      most = Math.max(most, inside);
      await sleep(1);
      order.push(i);
      inside--;
      lock.release();
    };
    const all = Array.from({ length: 12 }, (_, i) => waiter(i));
    await sleep(50);
    controller.abort();
    expect(await kindOf(within(all[3]!, 5_000, "the aborted waiter's end"))).toEqual({ name: 'AbortError', code: 'ABORT_ERR' });
    lock.release();
    await within(Promise.allSettled(all), 10_000, "every other waiter's turn");
    expect(order.slice().sort((a, b) => a - b)).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(most).toBe(1);
    expect(String(lock)).toBe('<Lock(owner=None)>');
  }, 20_000);
});

describe('identity', () => {
  it('a lock passed twice (and nested) reaches the child as one object; a Value given that lock returns it from getLock()', async () => {
    const observations = new Observations();
    const lock = new lib.Lock();
    const value = new lib.Value('i', 0, { lock });
    expect(value.getLock()).toBe(lock);
    const child = start(tasks.reportIdentity, ['sync-identity-lock', lock, lock, value, lock, { deep: [lock] }]);
    await child.join();
    expect(child.exitCode).toBe(0);
    expect(observations.of('identity', 'sync-identity-lock')).toEqual([
      expect.objectContaining({ twice: true, nested: true, valueLock: true, isLock: true, str: '<Lock(owner=None)>' }),
    ]);
  }, 20_000);

  it("a Value's own RLock passed beside it is the same object in the child", async () => {
    const observations = new Observations();
    const value = new lib.Value('i', 0);
    const rlock = value.getLock();
    expect(rlock).toBeInstanceOf(lib.RLock);
    const child = start(tasks.reportIdentity, ['sync-identity-rlock', rlock, rlock, value, rlock, { deep: [rlock] }]);
    await child.join();
    expect(child.exitCode).toBe(0);
    expect(observations.of('identity', 'sync-identity-rlock')).toEqual([
      expect.objectContaining({ twice: true, nested: true, valueLock: true, isLock: false, str: '<RLock(None, 0)>' }),
    ]);
  }, 20_000);

  it('an RLock the parent holds: the child cannot take it (timeout) and its release() throws NotOwnerError', async () => {
    const observations = new Observations();
    const rlock = new lib.RLock();
    await rlock.acquire();
    await rlock.acquire();
    const child = start(tasks.tryThenRelease, ['sync-identity-not-owner', rlock, 150]);
    await child.join();
    expect(child.exitCode).toBe(0);
    const [tried] = observations.of('tried', 'sync-identity-not-owner');
    // Every field the task reports, exactly (its timing is checked below).
    const { acquired, releaseError, str } = tried!;
    expect({ acquired, releaseError, str }).toEqual({
      acquired: false,
      releaseError: {
        name: 'NotOwnerError',
        code: 'ERR_MP_NOT_OWNER',
        message: 'RLock: cannot release a recursive lock that this process does not hold',
      },
      str: '<RLock(SomeOtherProcess, nonzero)>',
    });
    expect(tried!.waitedMs).toBeGreaterThanOrEqual(148);
    expect(tried!.waitedMs).toBeLessThan(150 + LATE_MS);
    expect(String(rlock)).toBe('<RLock(MainProcess, 2)>');
    rlock.release();
    rlock.release();
    // Once free, the same task takes it, and its release() is then allowed.
    const again = start(tasks.tryThenRelease, ['sync-identity-owner', rlock, 5_000]);
    await again.join();
    expect(observations.of('tried', 'sync-identity-owner')).toEqual([expect.objectContaining({ acquired: true, releaseError: null })]);
    expect(String(rlock)).toBe('<RLock(None, 0)>');
  }, 20_000);
});

/** 7 children and this process, 1,000 increments each of one Value inside one Lock. */
async function hammerFromEightProcesses(): Promise<{ count: number; exits: (number | null)[] }> {
  const observations = new Observations();
  const lock = new lib.Lock();
  const value = new lib.Value('i', 0, { lock: false });
  const gate = new lib.Lock();
  await gate.acquire();
  const tags = Array.from({ length: 7 }, (_, i) => `sync-hammer-${i}`);
  const children = tags.map((tag) => start(tasks.hammer, [tag, lock, value, 1_000, gate]));
  await observations.waitFor('ready', { tok: tags, count: tags.length });
  await sleep(50); // all waiting at the gate
  gate.release();
  for (let i = 0; i < 1_000; i++) {
    if (!(await lock.acquire({ timeout: 20_000 }))) throw new Error(`this process waited 20 s for the lock at its increment ${i}`);
    value.value += 1;
    lock.release();
  }
  for (const child of children) await child.join({ timeout: 20_000 });
  return { count: value.value, exits: children.map((c) => c.exitCode) };
}
