/**
 * A byte ring in shared memory, with the locks around it: what Queue and Pipe are made of (CPython
 * builds them from an OS pipe, two locks and a semaphore; see docs/shared-objects.md).
 *
 * Frames are a 32-bit length and that many bytes of UTF-8 JSON, copied in and out modulo the ring's
 * capacity. Positions only grow (32-bit, wrapping): `tail` counts bytes published, `head` bytes
 * consumed. A writer copies its frame past `tail` and then publishes it with one store of `tail`; a
 * reader copies a frame out and then releases it with one store of `head`. So at every instant the
 * ring holds whole frames only, and a process killed anywhere in between has published (or taken)
 * a frame entirely or not at all: nothing is lost, nothing is duplicated.
 *
 * Writers serialize on a write lock and readers on a read lock, as CPython's do; unlike CPython's,
 * these locks are robust: a waiter that finds the holder dead (pid and start time, from /proc)
 * takes the lock over, which the publish-by-one-store protocol makes safe. A consumer killed while
 * it waited in get() therefore does not wedge the queue, as it does in CPython.
 */
import { readFileSync } from 'node:fs';
import { AbortError } from './errors';
import { Segment } from './shared-memory';

/** Where the words are, in bytes from the segment's start (the first 16 bytes are its tag). */
const WORDS = {
  readLock: 16, // [state, holder start time]
  writeLock: 24,
  head: 32,
  tail: 36,
  count: 40, // frames published and not yet taken
  getters: 44, // readers asleep on `tail`
  putters: 48, // writers asleep on `head`
  extra: 52, // free for the object built on the ring (JoinableQueue: unfinished tasks)
  extraWaiters: 56,
  writers: 60, // slots in use in the writers' table (pipes)
} as const;
/**
 * A writer slot held for a child that has not attached yet carries a negative mark instead of a
 * start time, unique in this process, so that one child's exit never frees a slot since reused
 * for another child.
 */
let transits = 0;
const isInTransit = (recorded: number): boolean => recorded < 0;
/**
 * A wait first blocks this long (ms) in the kernel on the calling thread: a hand-off between running
 * processes comes back in microseconds that way, where a waiter thread and a hop through the event
 * loop take tens. Only then does it sleep asynchronously. The event loop is held up this long at most.
 */
const BRIEF_WAIT_MS = 0.2;
/** The table of the processes holding the writing end (pipes: end of file), as [pid, start time] pairs. */
const WRITERS = { offset: 128, slots: 112 } as const;
/** The data area starts here. */
export const RING_HEADER = 1024;
/** A waiter re-checks a lock holder's liveness this often. */
const LIVENESS_CHECK_MS = 100;
const CONTENDED = 1 << 30;
const PID_MASK = CONTENDED - 1;

let ownStart: number | undefined;

/** This process's start time (field 22 of /proc/self/stat): with the pid, who holds a lock. */
function startTimeOf(pid: number | 'self'): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return null; // dead, not yet reaped
    return Number(fields[19]);
  } catch {
    return null;
  }
}

function myStart(): number {
  ownStart ??= startTimeOf('self') ?? 0;
  return ownStart;
}

/** A deadline in performance.now() terms: Infinity for "no limit". */
export const deadlineOf = (timeout: number | undefined): number =>
  timeout === undefined ? Infinity : performance.now() + Math.max(0, timeout);

/**
 * A futex mutex whose word holds the holder's pid (plus a contended bit), so that a waiter can
 * tell a dead holder and take the lock over. Only for the ring's own locks: a user's Lock must
 * stay held when its holder dies, as in CPython (rule L5).
 */
class RobustMutex {
  readonly #segment: Segment;
  readonly #offset: number;
  readonly #words: Int32Array;

  constructor(segment: Segment, offset: number) {
    this.#segment = segment;
    this.#offset = offset;
    this.#words = new Int32Array(segment.buffer, offset, 2);
  }

  /** True once held; false if `deadline` passed first. Rejects with AbortError on abort. */
  async acquire(deadline: number, signal?: AbortSignal): Promise<boolean> {
    const words = this.#words;
    const me = process.pid;
    if (Atomics.compareExchange(words, 0, 0, me) === 0) {
      Atomics.store(words, 1, myStart());
      return true;
    }
    for (;;) {
      if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
      const state = Atomics.load(words, 0);
      if (state === 0) {
        // Taken as contended: a waiter may still sleep, and the release must wake it.
        if (Atomics.compareExchange(words, 0, 0, me | CONTENDED) === 0) break;
        continue;
      }
      if (this.#holderDied(state)) {
        if (Atomics.compareExchange(words, 0, state, me | CONTENDED) === state) break;
        continue;
      }
      const marked = state | CONTENDED;
      if (state !== marked && Atomics.compareExchange(words, 0, state, marked) !== state) continue;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await sleepOn(this.#segment, this.#offset, marked, Math.min(left, LIVENESS_CHECK_MS), signal);
    }
    Atomics.store(words, 1, myStart());
    return true;
  }

  release(): void {
    // The start time goes first: a new holder's word 1 reads 0 ("not written yet", alive) until it writes its own.
    Atomics.store(this.#words, 1, 0);
    const before = Atomics.exchange(this.#words, 0, 0);
    if (before & CONTENDED) this.#segment.wake(this.#offset, 1);
  }

  #holderDied(state: number): boolean {
    const pid = state & PID_MASK;
    if (pid === process.pid) return false;
    const start = startTimeOf(pid);
    const recorded = Atomics.load(this.#words, 1);
    // A start time of 0 is not written yet (the holder is between its two stores): alive.
    return start === null || (recorded !== 0 && start !== recorded && Atomics.load(this.#words, 0) === state);
  }
}

/** One futex wait on the word at `offset` while it holds `expected`; an abort wakes the word's waiters, who re-check. */
async function sleepOn(segment: Segment, offset: number, expected: number, ms: number, signal?: AbortSignal): Promise<void> {
  if (waitBriefly(segment, offset, expected)) return;
  if (!signal) {
    await segment.wait(offset, expected, ms);
    return;
  }
  const onAbort = (): void => void segment.wake(offset, 0);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    // Aborted before the listener was there (in the same tick as the call): no wake would come.
    if (signal.aborted) throw new AbortError(undefined, { cause: signal.reason });
    await segment.wait(offset, expected, ms);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (signal.aborted) throw new AbortError(undefined, { cause: signal.reason });
}

/** Waits up to BRIEF_WAIT_MS on this thread while the word at `offset` holds `expected`; true if it changed or was woken. */
export function waitBriefly(segment: Segment, offset: number, expected: number): boolean {
  return segment.waitBriefly(offset, expected, BRIEF_WAIT_MS) !== 'timeout';
}

export class SharedRing {
  readonly segment: Segment;
  readonly readLock: RobustMutex;
  readonly writeLock: RobustMutex;
  readonly #words: Int32Array;
  readonly #data: Uint8Array;
  readonly #capacity: number;

  constructor(segment: Segment) {
    this.segment = segment;
    this.readLock = new RobustMutex(segment, WORDS.readLock);
    this.writeLock = new RobustMutex(segment, WORDS.writeLock);
    this.#words = new Int32Array(segment.buffer, 0, RING_HEADER / 4);
    this.#data = new Uint8Array(segment.buffer, RING_HEADER);
    this.#capacity = this.#data.length;
  }

  /** A ring with `capacity` bytes of data (a power of two, so positions wrap cleanly). */
  static create(capacity: number): SharedRing {
    return new SharedRing(Segment.create(RING_HEADER + capacity));
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Frames published and not yet taken, by every process. */
  get count(): number {
    return Atomics.load(this.#words, WORDS.count / 4);
  }

  /** The word free for the object built on the ring (JoinableQueue's unfinished tasks). */
  get extra(): Int32Array {
    return this.#words.subarray(WORDS.extra / 4, WORDS.extra / 4 + 2);
  }

  /** Byte offset of `extra`, for waiting on it. */
  get extraOffset(): number {
    return WORDS.extra;
  }

  /** Room for a frame of `bytes` payload bytes now? (Call with the write lock held.) */
  fits(bytes: number): boolean {
    const used = (Atomics.load(this.#words, WORDS.tail / 4) - Atomics.load(this.#words, WORDS.head / 4)) >>> 0;
    return 4 + bytes <= this.#capacity - used;
  }

  /** Copies a frame in and publishes it (write lock held, `fits` checked); wakes a sleeping reader. */
  write(payload: Uint8Array): void {
    const words = this.#words;
    const tail = Atomics.load(words, WORDS.tail / 4) >>> 0;
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, payload.length, true);
    this.#copyIn(tail, length);
    this.#copyIn(tail + 4, payload);
    Atomics.store(words, WORDS.tail / 4, (tail + 4 + payload.length) | 0); // the publish
    Atomics.add(words, WORDS.count / 4, 1);
    if (Atomics.load(words, WORDS.getters / 4) > 0) this.segment.wake(WORDS.tail, 0);
  }

  /** Copies the oldest frame out and releases its bytes (read lock held); null when the ring is empty. */
  read(): Uint8Array | null {
    const words = this.#words;
    const head = Atomics.load(words, WORDS.head / 4) >>> 0;
    if (head === Atomics.load(words, WORDS.tail / 4) >>> 0) return null;
    const length = new DataView(this.#copyOut(head, 4).buffer).getUint32(0, true);
    const payload = this.#copyOut(head + 4, length);
    // The count first and the release last: a writer waiting for a slot sleeps on `head`, so the
    // change that wakes it must come after the count it re-reads.
    Atomics.sub(words, WORDS.count / 4, 1);
    Atomics.store(words, WORDS.head / 4, (head + 4 + length) | 0); // the release
    if (Atomics.load(words, WORDS.putters / 4) > 0) this.segment.wake(WORDS.head, 0);
    return payload;
  }

  /** Sleeps until a frame may have been published or `deadline` passes (read lock held). */
  async waitForData(deadline: number, signal?: AbortSignal): Promise<void> {
    // The value slept on is read before the check: a publish after it wakes the sleep at once.
    const tail = Atomics.load(this.#words, WORDS.tail / 4);
    if (tail !== Atomics.load(this.#words, WORDS.head / 4)) return;
    await this.#sleepCounted(WORDS.tail, tail, WORDS.getters, deadline, signal);
  }

  /** Sleeps until a frame of `bytes` may fit or `deadline` passes (write lock held). */
  async waitForSpace(bytes: number, deadline: number, signal?: AbortSignal): Promise<void> {
    const head = Atomics.load(this.#words, WORDS.head / 4);
    if (this.fits(bytes)) return;
    await this.#sleepCounted(WORDS.head, head, WORDS.putters, deadline, signal);
  }

  /** Sleeps until fewer than `maxsize` frames are in the ring or `deadline` passes (write lock held). */
  async waitForSlot(maxsize: number, deadline: number, signal?: AbortSignal): Promise<void> {
    const head = Atomics.load(this.#words, WORDS.head / 4);
    if (this.count < maxsize) return;
    await this.#sleepCounted(WORDS.head, head, WORDS.putters, deadline, signal);
  }

  /** Sleeps on the extra word while it holds `expected`, counted among its waiters. */
  waitOnExtra(expected: number, deadline: number, signal?: AbortSignal): Promise<void> {
    return this.#sleepCounted(WORDS.extra, expected, WORDS.extraWaiters, deadline, signal);
  }

  /** Wakes whoever waits on the extra word. */
  wakeExtra(): void {
    if (Atomics.load(this.#words, WORDS.extraWaiters / 4) > 0) this.segment.wake(WORDS.extra, 0);
  }

  async #sleepCounted(offset: number, expected: number, waiters: number, deadline: number, signal?: AbortSignal): Promise<void> {
    const left = deadline - performance.now();
    if (left <= 0) return;
    Atomics.add(this.#words, waiters / 4, 1);
    try {
      await sleepOn(this.segment, offset, expected, left === Infinity ? -1 : left, signal);
    } finally {
      Atomics.sub(this.#words, waiters / 4, 1);
    }
  }

  /**
   * Records this process as holding the writing end; returns its slot. A pipe's reader sees end of
   * file once no recorded writer is left alive (CPython's: once every copy of the end is closed).
   * `inTransit`: a slot held for a child that has not attached yet (start() passed it the end), so
   * the parent closing its own copy meanwhile is not an end of file; the child takes it over.
   */
  addWriter(mark?: number): number {
    for (let slot = 0; slot < WRITERS.slots; slot++) {
      const at = (WRITERS.offset + slot * 8) / 4;
      if (Atomics.compareExchange(this.#words, at, 0, process.pid) === 0) {
        Atomics.store(this.#words, at + 1, mark ?? myStart());
        Atomics.add(this.#words, WORDS.writers / 4, 1);
        return slot;
      }
    }
    throw new Error(`more than ${WRITERS.slots} processes hold the sending end of one pipe`);
  }

  /** A slot held for a child being started, with its mark (see isInTransit). */
  addInTransit(): { slot: number; mark: number } {
    transits = (transits % 0x3fffffff) + 1;
    const mark = -transits;
    return { slot: this.addWriter(mark), mark };
  }

  /** The child's side of an in-transit slot: false if it was released meanwhile (the parent gave up on it). */
  takeOverWriter(slot: number, mark: number): boolean {
    const at = (WRITERS.offset + slot * 8) / 4;
    if (Atomics.compareExchange(this.#words, at + 1, mark, 0) !== mark) return false;
    Atomics.store(this.#words, at, process.pid);
    Atomics.store(this.#words, at + 1, myStart());
    return true;
  }

  /** The parent's side, once the child has ended: the slot it held for it, if never taken over, is freed. */
  releaseInTransit(slot: number, mark: number): void {
    const at = (WRITERS.offset + slot * 8) / 4;
    if (Atomics.compareExchange(this.#words, at + 1, mark, 0) === mark) this.#clearWriter(at);
  }

  removeWriter(slot: number): void {
    const at = (WRITERS.offset + slot * 8) / 4;
    Atomics.store(this.#words, at + 1, 0);
    this.#clearWriter(at);
  }

  /** Registered writers, without checking that they live (cheap: for every empty read). */
  get writers(): number {
    return Atomics.load(this.#words, WORDS.writers / 4);
  }

  /** Sleeps until a frame may have been published, a writer may have gone, or `ms` pass (at most one liveness slice). */
  async waitForDataOrWriters(ms: number, signal?: AbortSignal): Promise<void> {
    await this.waitForData(performance.now() + Math.min(ms, LIVENESS_CHECK_MS), signal);
  }

  /** Clears the slots of writers that died without closing (read from /proc); returns how many are left. */
  pruneDeadWriters(): number {
    for (let slot = 0; slot < WRITERS.slots; slot++) {
      const at = (WRITERS.offset + slot * 8) / 4;
      const pid = Atomics.load(this.#words, at);
      if (pid === 0) continue;
      const recorded = Atomics.load(this.#words, at + 1);
      const start = startTimeOf(pid);
      // An in-transit slot lives as long as the parent that holds it for its child.
      const dead = start === null || (recorded !== 0 && !isInTransit(recorded) && start !== recorded);
      if (dead && Atomics.compareExchange(this.#words, at, pid, 0) === pid) {
        Atomics.store(this.#words, at + 1, 0);
        Atomics.sub(this.#words, WORDS.writers / 4, 1);
      }
    }
    return this.writers;
  }

  #clearWriter(at: number): void {
    if (Atomics.exchange(this.#words, at, 0) === 0) return;
    Atomics.sub(this.#words, WORDS.writers / 4, 1);
    // A reader asleep on an empty ring re-checks: this may have been the last writer.
    if (Atomics.load(this.#words, WORDS.getters / 4) > 0) this.segment.wake(WORDS.tail, 0);
  }

  #copyIn(position: number, bytes: Uint8Array): void {
    const at = position % this.#capacity;
    const first = Math.min(bytes.length, this.#capacity - at);
    this.#data.set(bytes.subarray(0, first), at);
    if (first < bytes.length) this.#data.set(bytes.subarray(first), 0);
  }

  #copyOut(position: number, length: number): Uint8Array {
    const at = position % this.#capacity;
    const out = new Uint8Array(length);
    const first = Math.min(length, this.#capacity - at);
    out.set(this.#data.subarray(at, at + first), 0);
    if (first < length) out.set(this.#data.subarray(0, length - first), first);
    return out;
  }
}
