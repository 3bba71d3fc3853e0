/**
 * Memory shared by a process tree, and waiting on a word of it (CPython's heap.py and the kernel
 * semaphores behind _multiprocessing.SemLock). The design, its costs and its limits are in
 * docs/shared-objects.md; in short:
 *
 * - A segment is an anonymous memfd, mode 0600, mapped into every process that uses it. JavaScript
 *   reads and writes it through an ArrayBuffer over the mapping itself, with Atomics, so reading a
 *   Value or taking a free Lock never leaves JavaScript.
 * - A process hands a segment on as the path of its own descriptor, /proc/<pid>/fd/<fd>, which
 *   the kernel opens only for the same user (the ptrace read check); the receiver also checks the
 *   inode, the size and a 128-bit random tag written in the segment's first bytes. There is no
 *   name to guess or to clean up: the kernel frees the memory when the last process lets go, so a
 *   SIGKILLed creator leaves nothing behind and its children keep using what they hold (rule L8).
 * - Waiting is the kernel's futex on a word of the segment, in a thread of its own per wait
 *   (native/shared_memory.cc), so the event loop never blocks.
 *
 * One object per segment and offset per process: rebuilding a handle a process already holds
 * returns the same object, so an RLock's owner count is one per process, as CPython's is per thread.
 */
import type * as Crypto from 'node:crypto';
import * as path from 'node:path';
import { errors } from './errors';

interface Native {
  create(size: number): { buffer: ArrayBuffer; fd: number; ino: number };
  attach(file: string, size: number, ino: number): { buffer: ArrayBuffer; fd: number; ino: number };
  wait(buffer: ArrayBuffer, offset: number, expected: number, timeoutMs: number): Promise<'woken' | 'timeout' | 'changed'>;
  wake(buffer: ArrayBuffer, offset: number, count: number): number;
  waitBriefly(buffer: ArrayBuffer, offset: number, expected: number, timeoutMs: number): 'woken' | 'timeout' | 'changed';
}

// build/ sits at the package root: one level above src/ (ts-jest), two above dist/src/.
const ROOT = path.join(__dirname, __filename.endsWith('.ts') ? '..' : path.join('..', '..'));
let native: Native | undefined;

function loadNative(): Native {
  if (native) return native;
  const file = path.join(ROOT, 'build', 'Release', 'mp_shared_memory.node');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native addon is loaded by path
    native = require(file) as Native;
  } catch (error) {
    throw errors.sharedMemory(
      `the native addon ${file} is missing or does not load: run \`npm ci\` (or \`npm rebuild\`) to build it`,
      error,
    );
  }
  return native;
}

/** Bytes 0-15 of every segment: the tag. Objects put their words after it. */
const TAG_BYTES = 16;
/** The size of a lock's or a Value's segment; queues and pipes ask for more (their ring). */
export const SEGMENT_SIZE = 64;
/** The largest segment a ref may name: a malformed ref must not map gigabytes. */
export const MAX_SEGMENT_SIZE = 256 * 1024 * 1024;

/** How a segment crosses a process boundary (wire format: src/reduction.ts). */
export interface SegmentRef {
  pid: number;
  fd: number;
  ino: number;
  size: number;
  /** 32 hex digits, the segment's first 16 bytes. */
  tag: string;
}

export class Segment {
  readonly buffer: ArrayBuffer;
  readonly tag: string;
  readonly #fd: number;
  readonly #ino: number;
  readonly size: number;

  private constructor(mapped: { buffer: ArrayBuffer; fd: number; ino: number }, tag: string) {
    this.buffer = mapped.buffer;
    this.size = mapped.buffer.byteLength;
    this.#fd = mapped.fd;
    this.#ino = mapped.ino;
    this.tag = tag;
  }

  /** A fresh, zeroed segment of `size` bytes, private to this user. */
  static create(size = SEGMENT_SIZE): Segment {
    const mapped = loadNative().create(size);
    // Loaded on first use: node:crypto costs about 5 ms of CPU in every child's boot otherwise
    // (docs/start-latency.md), and most children create no segment.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, on purpose
    const { randomBytes } = require('node:crypto') as typeof Crypto;
    const tag = randomBytes(TAG_BYTES);
    new Uint8Array(mapped.buffer, 0, TAG_BYTES).set(tag);
    return remember(new Segment(mapped, tag.toString('hex')));
  }

  /** The segment a ref names: the one this process already maps, or a new mapping of it. */
  static attach(ref: SegmentRef, what: string): Segment {
    const known = segments.get(ref.tag)?.deref();
    if (known) return known;
    const file = `/proc/${ref.pid}/fd/${ref.fd}`;
    let mapped: { buffer: ArrayBuffer; fd: number; ino: number };
    try {
      mapped = loadNative().attach(file, ref.size, ref.ino);
    } catch (error) {
      throw errors.sharedObjectGone(what, ref.pid, error);
    }
    const tag = Buffer.from(mapped.buffer, 0, TAG_BYTES).toString('hex');
    // Same inode and size but another tag cannot happen by accident: refuse it all the same.
    if (tag !== ref.tag) throw errors.sharedObjectGone(what, ref.pid, new Error(`${file} carries another tag`));
    return remember(new Segment(mapped, tag));
  }

  /** Names this segment as this process holds it, for a child. */
  ref(): SegmentRef {
    return { pid: process.pid, fd: this.#fd, ino: this.#ino, size: this.size, tag: this.tag };
  }

  /** Waits until the 32-bit word at byte `offset` may no longer hold `expected`, or `timeoutMs` passes (negative: no limit). */
  wait(offset: number, expected: number, timeoutMs: number): Promise<'woken' | 'timeout' | 'changed'> {
    return loadNative().wait(this.buffer, offset, expected, timeoutMs);
  }

  /** The same wait on this thread, blocking it, for at most `timeoutMs` (a fraction of a millisecond). */
  waitBriefly(offset: number, expected: number, timeoutMs: number): 'woken' | 'timeout' | 'changed' {
    return loadNative().waitBriefly(this.buffer, offset, expected, timeoutMs);
  }

  /** Wakes up to `count` waiters on the word at byte `offset` (0: all of them), in any process. */
  wake(offset: number, count: number): number {
    return loadNative().wake(this.buffer, offset, count);
  }
}

// What this process maps, by tag, and the objects built on it, by tag and offset: weakly, so an
// object nobody uses is collected and its mapping released (the ArrayBuffer's finalizer unmaps).
const segments = new Map<string, WeakRef<Segment>>();
const objects = new Map<string, WeakRef<object>>();
const forget = new FinalizationRegistry<{ map: Map<string, WeakRef<object>>; key: string }>(({ map, key }) => {
  if (map.get(key)?.deref() === undefined) map.delete(key);
});

function remember(segment: Segment): Segment {
  segments.set(segment.tag, new WeakRef(segment));
  forget.register(segment, { map: segments, key: segment.tag });
  return segment;
}

/** The object this process already built at `offset` of `segment`, or the one `build` makes now. */
export function sharedObject<T extends object>(segment: Segment, offset: number, build: () => T): T {
  const key = `${segment.tag}:${offset}`;
  const known = objects.get(key)?.deref();
  if (known) return known as T;
  const made = build();
  objects.set(key, new WeakRef(made));
  forget.register(made, { map: objects, key });
  return made;
}
