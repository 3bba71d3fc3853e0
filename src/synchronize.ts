/**
 * Lock and RLock shared by a process tree (CPython's synchronize.py).
 *
 * A lock is one 32-bit word of a shared segment, the classic futex mutex: 0 free, 1 held, 2 held
 * with possible waiters. A free lock is taken with one compare-and-swap in JavaScript; only a
 * waiter asks the kernel, and only a release that finds 2 wakes one. Any process may release a
 * Lock, as in CPython; the word after it records the pid of the last acquirer, for toString() only.
 *
 * As in CPython, a lock held by a process that dies stays held: nothing can tell a dead holder
 * from a slow one without a protocol every holder follows, and CPython's semaphores have none.
 */
import { AbortError, errors } from './errors';
import { currentProcess } from './process';
import { Segment, sharedObject, type SegmentRef } from './shared-memory';
import { waitBriefly } from './shared-ring';

export interface AcquireOptions {
  /** false: take the lock only if it is free, at once (Python's `block=False`). Default true. */
  block?: boolean;
  /** Milliseconds to wait at most; negative means "do not wait", as in CPython. Default: no limit. */
  timeout?: number;
  /** Rejects the wait with AbortError; the lock is then not held. */
  signal?: AbortSignal;
}

/** How a lock crosses a process boundary (wire format: src/reduction.ts). */
export interface LockRef {
  type: 'Lock' | 'RLock';
  segment: SegmentRef;
  offset: number;
}

const FREE = 0;
const HELD = 1;
const CONTENDED = 2;
/** Where a lock's two words go in a segment of its own (after the 16-byte tag). */
export const LOCK_OFFSET = 16;

// Hands a placement to the next constructor call: the public constructors take no arguments.
let placement: { segment: Segment; offset: number } | undefined;

/** This process's lock object at `offset` of `segment`: the one it has, or one built there now. */
function placed<T extends object>(segment: Segment, offset: number, build: () => T): T {
  return sharedObject(segment, offset, () => {
    placement = { segment, offset };
    return build();
  });
}

abstract class SharedLock {
  readonly #segment: Segment;
  readonly #offset: number;
  readonly #words: Int32Array;

  constructor() {
    // A new lock gets a segment of its own; rebuild() and Value place one in an existing segment.
    const fresh = placement === undefined;
    const { segment, offset } = placement ?? { segment: Segment.create(), offset: LOCK_OFFSET };
    placement = undefined;
    // This process's one object for it, even if its own ref comes back (rebuild() finds it).
    if (fresh) sharedObject(segment, offset, () => this);
    this.#segment = segment;
    this.#offset = offset;
    // [0] the lock word, [1] the pid of the last process that acquired it.
    this.#words = new Int32Array(segment.buffer, offset, 2);
  }

  protected abstract get kind(): 'Lock' | 'RLock';

  /** Resolves true once the lock is held, false if it could not be taken in time. */
  abstract acquire(options?: AcquireOptions): Promise<boolean>;

  abstract release(): void;

  /** Runs `fn` holding the lock, and releases it however `fn` ends (Python's `with lock:`). */
  async withLock<T>(fn: () => T | Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    await this.acquire({ signal: options.signal });
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /** Names this lock for a child (wire format: src/reduction.ts). */
  toRef(): LockRef {
    return { type: this.kind, segment: this.#segment.ref(), offset: this.#offset };
  }

  protected get holderPid(): number {
    return Atomics.load(this.#words, 1);
  }

  protected get isLocked(): boolean {
    return Atomics.load(this.#words, 0) !== FREE;
  }

  /** The futex mutex's acquire; `where` names the caller in error messages. */
  protected async take(options: AcquireOptions, where: string): Promise<boolean> {
    const { block, deadline, signal } = checkAcquireOptions(options, where);
    const words = this.#words;
    let state = Atomics.compareExchange(words, 0, FREE, HELD);
    if (state !== FREE && block) state = await this.#waitForIt(deadline, signal);
    if (state !== FREE) return false;
    Atomics.store(words, 1, process.pid);
    return true;
  }

  /** Blocks until the word is taken (returns FREE, the value it had) or the deadline passes. */
  async #waitForIt(deadline: number, signal: AbortSignal | undefined): Promise<number> {
    const words = this.#words;
    // Announce a waiter (2) so the holder's release wakes someone; taking it from 0 to 2 is fine.
    let state = Atomics.exchange(words, 0, CONTENDED);
    while (state !== FREE) {
      if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
      const left = deadline - performance.now();
      if (left <= 0) return state;
      await this.#sleep(left === Infinity ? -1 : left, signal);
      state = Atomics.exchange(words, 0, CONTENDED);
    }
    return state;
  }

  /** One futex wait while the word reads CONTENDED; an abort wakes every waiter (they re-check). */
  async #sleep(left: number, signal: AbortSignal | undefined): Promise<void> {
    if (waitBriefly(this.#segment, this.#offset, CONTENDED)) return;
    if (!signal) {
      await this.#segment.wait(this.#offset, CONTENDED, left);
      return;
    }
    const onAbort = (): void => void this.#segment.wake(this.#offset, 0);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal.aborted) throw new AbortError(undefined, { cause: signal.reason });
      await this.#segment.wait(this.#offset, CONTENDED, left);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (signal.aborted) throw new AbortError(undefined, { cause: signal.reason });
  }

  /** The futex mutex's release; false if the lock was not held (and nothing changed). */
  protected give(): boolean {
    const before = Atomics.exchange(this.#words, 0, FREE);
    if (before === CONTENDED) this.#segment.wake(this.#offset, 1);
    return before !== FREE;
  }

  /** `MainProcess` if this process holds it, `SomeOtherProcess` if another does, as CPython's repr. */
  protected describeHolder(): string {
    if (!this.isLocked) return 'None';
    return this.holderPid === process.pid ? currentProcess().name : 'SomeOtherProcess';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return String(this);
  }
}

/** A non-recursive lock: acquiring it twice without a release blocks, even in one process. */
export class Lock extends SharedLock {
  protected get kind(): 'Lock' {
    return 'Lock';
  }

  acquire(options: AcquireOptions = {}): Promise<boolean> {
    return this.take(options, 'Lock.acquire()');
  }

  /** Any process may release it; releasing a free Lock throws, as CPython's ValueError. */
  release(): void {
    if (!this.give()) throw errors.releasedTooManyTimes('Lock');
  }

  override toString(): string {
    return `<Lock(owner=${this.describeHolder()})>`;
  }

  /** The Lock at `offset` of `segment`, as rebuilt from a LockRef in another process. */
  static rebuild(segment: Segment, offset: number): Lock {
    return placed(segment, offset, () => new Lock());
  }
}

/**
 * A re-entrant lock: its owner may acquire it again, and must release it as many times. The owner
 * is this process's own object (Node runs JavaScript on one thread; a worker thread rebuilds its
 * own object, and so owns apart, as a Python thread does).
 */
export class RLock extends SharedLock {
  #count = 0;
  /** An acquire of this process under way (it settles false on failure, for the ones queued behind it). */
  #pending: Promise<boolean> | null = null;

  protected get kind(): 'RLock' {
    return 'RLock';
  }

  acquire(options: AcquireOptions = {}): Promise<boolean> {
    // A Promise-returning method never throws: a bad option is a rejection, as in take().
    try {
      return this.#acquire(options);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  #acquire(options: AcquireOptions): Promise<boolean> {
    if (this.#count > 0) {
      checkAcquireOptions(options, 'RLock.acquire()');
      this.#count++;
      return Promise.resolve(true);
    }
    // Overlapping acquires in this process wait for the one under way, then re-enter or retry:
    // the owner count must be set before any await, or the second would wait on its own lock.
    if (this.#pending) return this.#pending.then(() => this.acquire(options));
    const attempt = this.take(options, 'RLock.acquire()').then((taken) => {
      if (taken) this.#count = 1;
      return taken;
    });
    const settled: Promise<boolean> = attempt.then(
      (taken) => taken,
      () => false,
    );
    this.#pending = settled;
    void settled.then(() => {
      if (this.#pending === settled) this.#pending = null;
    });
    return attempt;
  }

  /** Only the owner may release it: CPython's AssertionError, here NotOwnerError. */
  release(): void {
    if (this.#count === 0) throw errors.notOwner();
    this.#count--;
    if (this.#count === 0) this.give();
  }

  override toString(): string {
    if (this.#count > 0) return `<RLock(${currentProcess().name}, ${this.#count})>`;
    return this.isLocked ? '<RLock(SomeOtherProcess, nonzero)>' : '<RLock(None, 0)>';
  }

  /** The RLock at `offset` of `segment`, as rebuilt from a LockRef in another process. */
  static rebuild(segment: Segment, offset: number): RLock {
    return placed(segment, offset, () => new RLock());
  }
}

function checkAcquireOptions(options: unknown, where: string): { block: boolean; deadline: number; signal?: AbortSignal } {
  if (typeof options !== 'object' || options === null) throw errors.invalidValue(where, 'its options', 'an object', options);
  const { block, timeout, signal } = options as Record<keyof AcquireOptions, unknown>;
  if (block !== undefined && typeof block !== 'boolean') throw errors.invalidValue(where, "the 'block' option", 'a boolean', block);
  if (timeout !== undefined && (typeof timeout !== 'number' || Number.isNaN(timeout))) {
    throw errors.invalidValue(where, "the 'timeout' option", 'a number of milliseconds', timeout);
  }
  const isSignal = typeof signal === 'object' && signal !== null && 'aborted' in signal && 'addEventListener' in signal;
  if (signal !== undefined && !isSignal) throw errors.invalidValue(where, "the 'signal' option", 'an AbortSignal', signal);
  // Already aborted: refused before trying, as join() does, even if the lock is free.
  if ((signal as AbortSignal | undefined)?.aborted) throw new AbortError(undefined, { cause: (signal as AbortSignal).reason });
  // CPython: block=False ignores the timeout; a timeout <= 0 does not wait (even -1, unlike threading).
  const wait = block !== false && (timeout === undefined || timeout > 0);
  const deadline = timeout === undefined ? Infinity : performance.now() + Math.max(0, timeout);
  return { block: wait, deadline, signal: signal as AbortSignal | undefined };
}
