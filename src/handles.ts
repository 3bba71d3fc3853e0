/**
 * How a shared object crosses a process boundary (CPython's reduction of SemLock and of
 * sharedctypes): a Lock, RLock or Value among a task's arguments travels as a ref, which the child
 * rebuilds into its own object over the same shared memory. Refs are data only (wire format:
 * src/reduction.ts); rebuilding one opens memory that a process of the tree holds, nothing else.
 */
import { errors } from './errors';
import { MAX_SEGMENT_SIZE, Segment, type SegmentRef } from './shared-memory';
import { RING_HEADER } from './shared-ring';
import { Connection, type ConnectionRef } from './connection';
import { Queue, type QueueRef } from './queues';
import { Value, type ValueRef } from './sharedctypes';
import { Lock, RLock, type LockRef } from './synchronize';

export type SharedRef = LockRef | ValueRef | QueueRef | ConnectionRef;
export type Shared = Lock | RLock | Value | Queue | Connection;

/** The ref of a shared object, or undefined for anything else. */
export function refOf(value: object): SharedRef | undefined {
  const shared =
    value instanceof Lock || value instanceof RLock || value instanceof Value || value instanceof Queue || value instanceof Connection;
  return shared ? value.toRef() : undefined;
}

/** This process's object for a ref: the one it already has, or one rebuilt over the same memory. */
export function rebuild(ref: SharedRef): Shared {
  if (ref.type === 'Queue' || ref.type === 'JoinableQueue') return Queue.rebuild(ref, Segment.attach(ref.segment, ref.type));
  if (ref.type === 'Connection') {
    const readable = ref.readable && Segment.attach(ref.readable, 'Connection');
    const writable = ref.writable && Segment.attach(ref.writable, 'Connection');
    return Connection.rebuild(readable, writable, ref.transfer);
  }
  if (ref.type === 'Value') {
    const lock = ref.lock === null ? null : (rebuild(ref.lock) as Lock | RLock);
    return Value.rebuild(ref, Segment.attach(ref.segment, `Value('${ref.typecode}')`), lock);
  }
  const segment = Segment.attach(ref.segment, ref.type);
  return ref.type === 'Lock' ? Lock.rebuild(segment, ref.offset) : RLock.rebuild(segment, ref.offset);
}

/** Checks a received ref's shape, so a malformed one fails clearly and opens nothing. */
export function checkRef(value: unknown): SharedRef {
  const ref = value as Partial<Record<string, unknown>> | null;
  const bad = (detail: string): Error => errors.badStartMessage(`a shared object's ref ${detail}`);
  if (typeof ref !== 'object' || ref === null) throw bad('is not an object');
  if (ref.type === 'Connection') {
    const end = (s: unknown): boolean => s === null || isSegmentRef(s);
    if (!end(ref.readable) || !end(ref.writable) || (ref.readable === null && ref.writable === null)) throw bad('has no valid segments');
    if (
      !(ref.readable === null || isRingRef(ref.readable as SegmentRef)) ||
      !(ref.writable === null || isRingRef(ref.writable as SegmentRef))
    ) {
      throw bad('names a segment that is not a ring');
    }
    const transfer = ref.transfer as { slot?: unknown; mark?: unknown } | null;
    const slotOk = (n: unknown): boolean => Number.isInteger(n) && (n as number) >= 0 && (n as number) < 112;
    const markOk = (n: unknown): boolean => Number.isInteger(n) && (n as number) < 0;
    if (!(transfer === null || (typeof transfer === 'object' && slotOk(transfer.slot) && markOk(transfer.mark)))) {
      throw bad('has a bad transfer slot');
    }
    return ref as unknown as ConnectionRef;
  }
  if (!isSegmentRef(ref.segment)) throw bad('has no valid segment');
  if (ref.type === 'Queue' || ref.type === 'JoinableQueue') {
    if (!isRingRef(ref.segment)) throw bad('names a segment that is not a ring');
    if (!Number.isSafeInteger(ref.maxsize) || (ref.maxsize as number) < 0) throw bad('has a bad maxsize');
    return ref as unknown as QueueRef;
  }
  // The object's words (a lock's two, a Value's eight bytes) must lie inside the segment.
  const size = (ref.segment as SegmentRef).size;
  if (
    !Number.isInteger(ref.offset) ||
    (ref.offset as number) < 16 ||
    (ref.offset as number) % 8 !== 0 ||
    (ref.offset as number) + 8 > size
  ) {
    throw bad('has a bad offset');
  }
  if (ref.type === 'Lock' || ref.type === 'RLock') return ref as unknown as LockRef;
  if (ref.type !== 'Value') throw bad(`has an unknown type ${JSON.stringify(ref.type)}`);
  if (typeof ref.typecode !== 'string' || !Value.isTypecode(ref.typecode)) throw bad('has an unknown typecode');
  if (ref.lock !== null) {
    const lock = checkRef(ref.lock);
    if (lock.type === 'Value') throw bad('has a Value as its lock');
  }
  return ref as unknown as ValueRef;
}

/** A ring's segment: its header, then a power of two of data bytes (src/shared-ring.ts). */
function isRingRef(value: SegmentRef): boolean {
  const data = value.size - RING_HEADER;
  return data >= 64 && (data & (data - 1)) === 0;
}

function isSegmentRef(value: unknown): value is SegmentRef {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Partial<Record<keyof SegmentRef, unknown>>;
  const whole = (n: unknown): boolean => Number.isSafeInteger(n) && (n as number) >= 0;
  const sized = whole(s.size) && (s.size as number) >= 64 && (s.size as number) <= MAX_SEGMENT_SIZE;
  return whole(s.pid) && whole(s.fd) && whole(s.ino) && sized && typeof s.tag === 'string' && /^[0-9a-f]{32}$/.test(s.tag);
}
