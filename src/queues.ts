/**
 * Queue and JoinableQueue shared by a process tree (CPython's queues.py), over a byte ring in
 * shared memory (src/shared-ring.ts).
 *
 * As in CPython, put() on an unbounded queue never waits: when the ring is full, items wait in this
 * process, in order, and are written as room frees, by a pump that keeps the process alive until
 * they are all written (CPython's feeder thread, joined at exit); a child flushes them before it
 * exits. A bounded queue (maxsize > 0) waits instead: back-pressure, so memory stays bounded.
 * close() concerns this process only: it puts and gets no more, and its waiting items still go out.
 */
import { AbortError, errors } from './errors';
import { encodeItem, type Json } from './reduction';
import { Segment, sharedObject, type SegmentRef } from './shared-memory';
import { SharedRing, RING_HEADER, deadlineOf } from './shared-ring';

export interface QueueWaitOptions {
  /** false: do not wait (Python's `block=False`). Default true. */
  block?: boolean;
  /** Milliseconds to wait at most (Python's `timeout`, in seconds there). Default: no limit. */
  timeout?: number;
  signal?: AbortSignal;
}

/** How a queue crosses a process boundary (wire format: src/reduction.ts). */
export interface QueueRef {
  type: 'Queue' | 'JoinableQueue';
  segment: SegmentRef;
  offset: number;
  maxsize: number;
}

/** The ring's data bytes: an item larger than this (minus its 4-byte length) is refused at put(). */
export const QUEUE_BUFFER_BYTES = 1 << 20;
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** Queues with items still waiting in this process: a child writes them all before it exits. */
const unflushed = new Set<Queue>();

/** Resolves when every item this process put is in its queue's ring (the child's exit waits for it). */
export async function flushQueues(): Promise<void> {
  await Promise.all([...unflushed].map((q) => q.flushed()));
}

let placement: { ring: SharedRing; maxsize: number } | undefined;

export class Queue {
  readonly #ring: SharedRing;
  readonly #maxsize: number;
  #closed = false;
  // Items waiting in this process, oldest at #pendingHead: shift() would copy the array on every
  // write, which a producer far ahead of its consumer (hundreds of thousands waiting) cannot afford.
  #pending: Uint8Array[] = [];
  #pendingHead = 0;
  #pump: Promise<void> | null = null;

  /** Python's Queue(maxsize): 0 or less means unbounded. */
  constructor(maxsize = 0) {
    const given = placement;
    placement = undefined;
    if (given) {
      this.#ring = given.ring;
      this.#maxsize = given.maxsize;
      return;
    }
    if (typeof maxsize !== 'number' || !Number.isInteger(maxsize)) {
      throw errors.invalidValue(`${this.constructor.name}()`, 'maxsize', 'an integer', maxsize);
    }
    this.#ring = SharedRing.create(QUEUE_BUFFER_BYTES);
    this.#maxsize = Math.max(0, maxsize);
    sharedObject(this.#ring.segment, RING_HEADER, () => this);
  }

  protected get ring(): SharedRing {
    return this.#ring;
  }

  /** Puts `item` (a JSON value); rejects with Full when a bounded queue stays full. */
  async put(item: Json, options: QueueWaitOptions = {}): Promise<void> {
    const { deadline, signal } = this.#check('put', options);
    const bytes = this.#encode(item);
    if (this.#maxsize === 0) {
      this.#putUnbounded(bytes);
      return;
    }
    const ring = this.#ring;
    if (!(await ring.writeLock.acquire(deadline, signal))) throw errors.full(this.#name);
    try {
      while (ring.count >= this.#maxsize || !ring.fits(bytes.length)) {
        if (performance.now() >= deadline) throw errors.full(this.#name);
        if (ring.count >= this.#maxsize) await ring.waitForSlot(this.#maxsize, deadline, signal);
        else await ring.waitForSpace(bytes.length, deadline, signal);
      }
      this.beforeWrite();
      ring.write(bytes);
    } finally {
      ring.writeLock.release();
    }
  }

  /** Takes the oldest item; rejects with Empty when none comes in time. */
  async get(options: QueueWaitOptions = {}): Promise<Json> {
    const { deadline, signal } = this.#check('get', options);
    const ring = this.#ring;
    if (!(await ring.readLock.acquire(deadline, signal))) throw errors.empty(this.#name);
    try {
      for (;;) {
        const frame = ring.read();
        if (frame !== null) return JSON.parse(decoder.decode(frame)) as Json;
        if (performance.now() >= deadline) throw errors.empty(this.#name);
        await ring.waitForData(deadline, signal);
      }
    } finally {
      ring.readLock.release();
    }
  }

  /** Items in the queue now, this process's waiting ones included (a snapshot: others put and get meanwhile). */
  qsize(): number {
    return this.#ring.count + this.#waiting;
  }

  empty(): boolean {
    return this.qsize() === 0;
  }

  full(): boolean {
    return this.#maxsize > 0 && this.qsize() >= this.#maxsize;
  }

  get maxsize(): number {
    return this.#maxsize;
  }

  /** This process puts and gets no more; items it put are still written. A second close() does nothing. */
  close(): void {
    this.#closed = true;
  }

  /** Resolves when every item this process put is in the ring. */
  flushed(): Promise<void> {
    return this.#pump ?? Promise.resolve();
  }

  /** Names this queue for a child (wire format: src/reduction.ts). */
  toRef(): QueueRef {
    const type = this instanceof JoinableQueue ? 'JoinableQueue' : 'Queue';
    return { type, segment: this.#ring.segment.ref(), offset: RING_HEADER, maxsize: this.#maxsize };
  }

  /** This process's queue for a QueueRef. */
  static rebuild(ref: QueueRef, segment: Segment): Queue {
    return sharedObject(segment, ref.offset, () => {
      placement = { ring: new SharedRing(segment), maxsize: ref.maxsize };
      return ref.type === 'JoinableQueue' ? new JoinableQueue() : new Queue();
    });
  }

  toString(): string {
    return `<${this.#name} maxsize=${this.#maxsize} qsize=${this.qsize()}${this.#closed ? ' closed' : ''}>`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /** JoinableQueue counts the item as unfinished here, before anyone can take it. */
  protected beforeWrite(): void {}

  get #name(): string {
    return this.constructor.name;
  }

  #check(action: 'put' | 'get', options: QueueWaitOptions): { deadline: number; signal?: AbortSignal } {
    const where = `${this.#name}.${action}()`;
    if (this.#closed) throw errors.queueClosed(this.#name, action);
    if (typeof options !== 'object' || options === null) throw errors.invalidValue(where, 'its options', 'an object', options);
    const { block, timeout, signal } = options;
    if (block !== undefined && typeof block !== 'boolean') throw errors.invalidValue(where, "the 'block' option", 'a boolean', block);
    if (timeout !== undefined && (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0)) {
      throw errors.invalidValue(where, "the 'timeout' option", 'a non-negative number of milliseconds', timeout);
    }
    if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
    return { deadline: block === false ? 0 : deadlineOf(timeout), signal };
  }

  #encode(item: Json): Uint8Array {
    const bytes = encoder.encode(encodeItem(item, `${this.#name}.put()`));
    if (4 + bytes.length > this.#ring.capacity)
      throw errors.itemTooLarge(`${this.#name}.put()`, 'queue', bytes.length, this.#ring.capacity - 4);
    return bytes;
  }

  get #waiting(): number {
    return this.#pending.length - this.#pendingHead;
  }

  #putUnbounded(bytes: Uint8Array): void {
    this.beforeWrite();
    this.#pending.push(bytes);
    this.#pump ??= this.#drain();
  }

  /** Writes the waiting items in order, as room frees; keeps the process alive until done. */
  async #drain(): Promise<void> {
    unflushed.add(this);
    const ring = this.#ring;
    try {
      while (this.#waiting > 0) {
        await ring.writeLock.acquire(Infinity);
        try {
          while (this.#waiting > 0 && ring.fits(this.#pending[this.#pendingHead]!.length)) {
            ring.write(this.#pending[this.#pendingHead]!);
            this.#pending[this.#pendingHead++] = EMPTY;
          }
          // Drop what was written once it is most of the array, so the array does not grow for ever.
          if (this.#pendingHead > 1024 && this.#pendingHead * 2 > this.#pending.length) {
            this.#pending = this.#pending.slice(this.#pendingHead);
            this.#pendingHead = 0;
          }
          if (this.#waiting > 0) await ring.waitForSpace(this.#pending[this.#pendingHead]!.length, Infinity);
        } finally {
          ring.writeLock.release();
        }
      }
    } finally {
      this.#pending = this.#pending.slice(this.#pendingHead);
      this.#pendingHead = 0;
      this.#pump = null;
      unflushed.delete(this);
    }
  }
}

/** A Queue that counts unfinished items: get() them, taskDone() each, and join() waits for all. */
export class JoinableQueue extends Queue {
  /** One item is done; an error if every item put is done already. */
  taskDone(): void {
    const unfinished = this.ring.extra;
    for (;;) {
      const count = Atomics.load(unfinished, 0);
      if (count <= 0) throw errors.tooManyTaskDone();
      if (Atomics.compareExchange(unfinished, 0, count, count - 1) === count) {
        if (count === 1) this.ring.wakeExtra();
        return;
      }
    }
  }

  /** Resolves when every item put so far has had taskDone(), or after `timeout` ms. */
  async join(options: { timeout?: number; signal?: AbortSignal } = {}): Promise<void> {
    const deadline = deadlineOf(options.timeout);
    for (;;) {
      const count = Atomics.load(this.ring.extra, 0);
      if (count <= 0 || performance.now() >= deadline) return;
      await this.ring.waitOnExtra(count, deadline, options.signal);
    }
  }

  protected override beforeWrite(): void {
    Atomics.add(this.ring.extra, 0, 1);
  }
}
