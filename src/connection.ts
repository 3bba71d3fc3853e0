/**
 * Pipe and Connection shared by a process tree (CPython's connection.py), over byte rings in shared
 * memory (src/shared-ring.ts): one ring per direction.
 *
 * End of file as in CPython: recv() on an empty connection raises EndOfFileError once no process
 * still holds the other end open, not when one copy closes: a parent that passed the sending end to
 * a child and kept its own copy must close it, or recv() waits for it. A process that dies lets go
 * of its copies with it (the reader checks /proc), as the kernel closes a dead process's pipe ends.
 *
 * Unlike an OS pipe, each direction has a write lock: messages from several writers never
 * interleave (CPython's pipe can garble messages larger than the pipe buffer; rule PI2).
 */
import { AbortError, errors } from './errors';
import { encodeItem, type Json } from './reduction';
import { Segment, sharedObject, type SegmentRef } from './shared-memory';
import { RING_HEADER, SharedRing } from './shared-ring';

/** How one end crosses a process boundary (wire format: src/reduction.ts). */
export interface ConnectionRef {
  type: 'Connection';
  /** The ring it receives from, and the one it sends into (null: a one-way end). */
  readable: SegmentRef | null;
  writable: SegmentRef | null;
  offset: number;
  /** The writers' slot held for the receiving process until it attaches, and its mark (null: a read-only end). */
  transfer: { slot: number; mark: number } | null;
}

/** Each direction's buffer; a message larger than this (minus 4 bytes) is refused at send(). */
export const PIPE_BUFFER_BYTES = 1 << 20;
/** A wait this long without data makes a reader look for writers that died without closing. */
const QUIET_MS = 90;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

// A collected Connection lets go of its sending end, as a garbage-collected Python one closes.
const letGo = new FinalizationRegistry<{ ring: SharedRing; slot: number }>(({ ring, slot }) => ring.removeWriter(slot));

let placement: { readable: SharedRing | null; writable: SharedRing | null; transfer?: { slot: number; mark: number } | null } | undefined;

/** Writers' slots held for children being started: released by the parent if a child never attaches. */
let transfers: { ring: SharedRing; slot: number; mark: number }[] | null = null;

/**
 * Runs `encode` (which may pass connections to a child) and returns what it returned, plus a
 * function to call once that child has ended: it frees the slots the child never took over.
 */
export function withTransfers<T>(encode: () => T): { result: T; release: () => void } {
  transfers = [];
  const issued = transfers;
  const release = (): void => {
    for (const { ring, slot, mark } of issued) ring.releaseInTransit(slot, mark);
  };
  try {
    return { result: encode(), release };
  } catch (error) {
    release(); // nothing was started: nobody will take them over
    throw error;
  } finally {
    transfers = null;
  }
}

export class Connection {
  readonly #readable: SharedRing | null;
  readonly #writable: SharedRing | null;
  readonly #slot: number | null;
  #closed = false;

  /** Not for users: Pipe() makes connections. */
  constructor() {
    if (!placement) throw new TypeError('Connection objects are made by Pipe()');
    const { readable, writable, transfer = null } = placement;
    placement = undefined;
    this.#readable = readable;
    this.#writable = writable;
    this.#slot =
      writable === null
        ? null
        : transfer !== null && writable.takeOverWriter(transfer.slot, transfer.mark)
          ? transfer.slot
          : writable.addWriter();
    if (this.#writable && this.#slot !== null) letGo.register(this, { ring: this.#writable, slot: this.#slot }, this);
  }

  get readable(): boolean {
    return this.#readable !== null;
  }

  get writable(): boolean {
    return this.#writable !== null;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends a JSON value; waits while the other side has not read enough to make room. */
  async send(item: Json): Promise<void> {
    if (this.#closed) throw errors.connectionClosed('send');
    const ring = this.#writable;
    if (ring === null) throw errors.readOnly('send');
    const bytes = encoder.encode(encodeItem(item, 'Connection.send()'));
    if (4 + bytes.length > ring.capacity) throw errors.itemTooLarge('Connection.send()', 'pipe', bytes.length, ring.capacity - 4);
    await ring.writeLock.acquire(Infinity);
    try {
      while (!ring.fits(bytes.length)) await ring.waitForSpace(bytes.length, Infinity);
      ring.write(bytes);
    } finally {
      ring.writeLock.release();
    }
  }

  /** Receives the next value; EndOfFileError once nothing is left and no one holds the other end. */
  async recv(options: { signal?: AbortSignal } = {}): Promise<Json> {
    if (this.#closed) throw errors.connectionClosed('recv');
    const ring = this.#readable;
    if (ring === null) throw errors.readOnly('recv');
    const { signal } = options;
    await ring.readLock.acquire(Infinity, signal);
    let quiet = false;
    try {
      for (;;) {
        const frame = ring.read();
        if (frame !== null) return JSON.parse(decoder.decode(frame)) as Json;
        // Closing writers are counted at once; dead ones are looked for only after a quiet slice.
        if (ring.writers === 0 || (quiet && ring.pruneDeadWriters() === 0)) throw errors.endOfFile();
        const before = ring.count;
        const began = performance.now();
        await ring.waitForDataOrWriters(Infinity, signal);
        quiet = ring.count === before && performance.now() - began >= QUIET_MS;
      }
    } finally {
      ring.readLock.release();
    }
  }

  /** True when recv() would not wait (a value is there, or end of file); waits up to `timeout` ms. */
  async poll(timeout = 0, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    if (this.#closed) throw errors.connectionClosed('poll');
    const ring = this.#readable;
    if (ring === null) throw errors.readOnly('recv');
    if (typeof timeout !== 'number' || Number.isNaN(timeout)) {
      throw errors.invalidValue('Connection.poll()', 'the timeout', 'a number of milliseconds', timeout);
    }
    const deadline = performance.now() + Math.max(0, timeout);
    for (let quiet = false; ;) {
      if (ring.count > 0 || ring.writers === 0 || (quiet && ring.pruneDeadWriters() === 0)) return true;
      if (options.signal?.aborted) throw new AbortError(undefined, { cause: options.signal.reason });
      const left = deadline - performance.now();
      if (left <= 0) return false;
      const began = performance.now();
      await ring.waitForDataOrWriters(left, options.signal);
      quiet = performance.now() - began >= Math.min(left, QUIET_MS);
    }
  }

  /** Closes this process's copy of this end; a second close() does nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#writable && this.#slot !== null) {
      letGo.unregister(this);
      this.#writable.removeWriter(this.#slot);
    }
  }

  /** Names this end for a child (wire format: src/reduction.ts). */
  toRef(): ConnectionRef {
    if (this.#closed) throw errors.connectionClosed('pass');
    // A slot is held for the receiving child only when start() passes the end (withTransfers);
    // elsewhere (an item put on a queue) the ref is refused anyway, and must hold nothing.
    let transfer: { slot: number; mark: number } | null = null;
    if (this.#writable !== null && transfers !== null) {
      transfer = this.#writable.addInTransit();
      transfers.push({ ring: this.#writable, ...transfer });
    }
    return {
      type: 'Connection',
      readable: this.#readable?.segment.ref() ?? null,
      writable: this.#writable?.segment.ref() ?? null,
      offset: RING_HEADER,
      transfer,
    };
  }

  toString(): string {
    const mode = this.#readable && this.#writable ? 'duplex' : this.#readable ? 'read-only' : 'write-only';
    return `<Connection ${mode}${this.#closed ? ' closed' : ''}>`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /** This process's end for a ConnectionRef. */
  static rebuild(readable: Segment | null, writable: Segment | null, transfer: { slot: number; mark: number } | null): Connection {
    const anchor = (readable ?? writable)!;
    // Keyed by both rings: the two ends of a duplex pipe share segments but are different objects.
    const offset = RING_HEADER + (readable && writable ? (readable.tag < writable.tag ? 1 : 2) : readable ? 3 : 4);
    return sharedObject(anchor, offset, () => {
      placement = { readable: readable && new SharedRing(readable), writable: writable && new SharedRing(writable), transfer };
      return new Connection();
    });
  }
}

/** Python's Pipe(duplex=True): [conn1, conn2]. One-way: conn1 only receives, conn2 only sends. */
export function Pipe(duplex = true): [Connection, Connection] {
  if (typeof duplex !== 'boolean') throw errors.invalidValue('Pipe()', 'duplex', 'a boolean', duplex);
  const there = SharedRing.create(PIPE_BUFFER_BYTES); // conn2 -> conn1
  const back = duplex ? SharedRing.create(PIPE_BUFFER_BYTES) : null; // conn1 -> conn2
  placement = { readable: there, writable: back };
  const conn1 = new Connection();
  placement = { readable: back, writable: there };
  const conn2 = new Connection();
  return [conn1, conn2];
}
