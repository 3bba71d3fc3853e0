/**
 * Value: one number in memory shared by a process tree (CPython's sharedctypes.py).
 *
 * `value` reads and writes the shared memory directly, each access on its own, exactly as
 * CPython's `v.value` does: `v.value += 1` is a read and then a write, and increments from several
 * processes can be lost between them (rule SH1). Hold `getLock()` around such an update. The
 * number sits in the same segment as the Value's own RLock (lock: true, the default), or in a
 * segment of its own with the Lock or RLock it was given, or with none (lock: false).
 */
import { errors } from './errors';
import { Segment, sharedObject, type SegmentRef } from './shared-memory';
import { LOCK_OFFSET, Lock, RLock, type LockRef } from './synchronize';

/** The struct/array codes of Python's ctypes, with the typed array that holds each. */
const TYPECODES = {
  b: { array: Int8Array, ctype: 'c_byte' },
  B: { array: Uint8Array, ctype: 'c_ubyte' },
  h: { array: Int16Array, ctype: 'c_short' },
  H: { array: Uint16Array, ctype: 'c_ushort' },
  i: { array: Int32Array, ctype: 'c_int' },
  I: { array: Uint32Array, ctype: 'c_uint' },
  l: { array: BigInt64Array, ctype: 'c_long' },
  L: { array: BigUint64Array, ctype: 'c_ulong' },
  q: { array: BigInt64Array, ctype: 'c_longlong' },
  Q: { array: BigUint64Array, ctype: 'c_ulonglong' },
  f: { array: Float32Array, ctype: 'c_float' },
  d: { array: Float64Array, ctype: 'c_double' },
} as const;
export type Typecode = keyof typeof TYPECODES;
/** 64-bit codes hold a bigint: a number cannot hold every value of a C long exactly. */
export type ValueOf<T extends Typecode> = T extends 'l' | 'L' | 'q' | 'Q' ? bigint : number;

export interface ValueOptions {
  /** true (default): a new RLock of its own; false: none; or a Lock or RLock to use. */
  lock?: boolean | Lock | RLock;
}

/** How a Value crosses a process boundary (wire format: src/reduction.ts). */
export interface ValueRef {
  type: 'Value';
  typecode: Typecode;
  segment: SegmentRef;
  offset: number;
  lock: LockRef | null;
}

/** The number goes 8-byte aligned after the tag and the lock's two words. */
const VALUE_OFFSET = 32;

let placement: { segment: Segment; lock: Lock | RLock | null } | undefined;

export class Value<T extends Typecode = Typecode> {
  readonly typecode: T;
  readonly #segment: Segment;
  readonly #cell:
    | Int8Array
    | Uint8Array
    | Int16Array
    | Uint16Array
    | Int32Array
    | Uint32Array
    | Float32Array
    | Float64Array
    | BigInt64Array
    | BigUint64Array;
  readonly #lock: Lock | RLock | null;

  constructor(typecode: T, initial?: ValueOf<T>, options: ValueOptions = {}) {
    if (typeof typecode !== 'string' || !Value.isTypecode(typecode)) {
      throw errors.invalidValue('Value()', 'the typecode', `one of ${Object.keys(TYPECODES).join(' ')}`, typecode);
    }
    this.typecode = typecode;
    const given = placement;
    placement = undefined;
    if (given) {
      this.#segment = given.segment;
      this.#lock = given.lock;
    } else {
      const lock = checkLockOption(options);
      this.#segment = Segment.create();
      sharedObject(this.#segment, VALUE_OFFSET, () => this);
      this.#lock = lock === true ? RLock.rebuild(this.#segment, LOCK_OFFSET) : lock === false ? null : lock;
    }
    this.#cell = new TYPECODES[typecode].array(this.#segment.buffer, VALUE_OFFSET, 1);
    if (!given && initial !== undefined) this.value = initial;
  }

  get value(): ValueOf<T> {
    return this.#cell[0] as ValueOf<T>;
  }

  set value(value: ValueOf<T>) {
    this.#cell[0] = checkNumber(this.typecode, value) as never;
  }

  /** The lock that guards it; a Value made with `lock: false` has none (Python: AttributeError). */
  getLock(): Lock | RLock {
    if (this.#lock === null) throw errors.noLock();
    return this.#lock;
  }

  /** Names this Value, and its lock, for a child (wire format: src/reduction.ts). */
  toRef(): ValueRef {
    const segment = this.#segment.ref();
    return { type: 'Value', typecode: this.typecode, segment, offset: VALUE_OFFSET, lock: this.#lock?.toRef() ?? null };
  }

  /** CPython's repr: `<Synchronized wrapper for c_int(5)>`, or `c_int(5)` without a lock. */
  toString(): string {
    const inner = `${TYPECODES[this.typecode].ctype}(${String(this.value)})`;
    return this.#lock === null ? inner : `<Synchronized wrapper for ${inner}>`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  static isTypecode(code: string): code is Typecode {
    return Object.hasOwn(TYPECODES, code);
  }

  /** This process's Value for a ValueRef, with its lock rebuilt first. */
  static rebuild(ref: ValueRef, segment: Segment, lock: Lock | RLock | null): Value {
    return sharedObject(segment, ref.offset, () => {
      placement = { segment, lock };
      return new Value(ref.typecode);
    });
  }
}

function checkLockOption(options: unknown): boolean | Lock | RLock {
  if (typeof options !== 'object' || options === null) throw errors.invalidValue('Value()', 'its options', 'an object', options);
  const { lock } = options as Record<keyof ValueOptions, unknown>;
  if (lock === undefined) return true;
  if (typeof lock === 'boolean' || lock instanceof Lock || lock instanceof RLock) return lock;
  throw errors.invalidValue('Value()', "the 'lock' option", 'a boolean, a Lock or an RLock', lock);
}

/** The range of each integer code, computed once: setting `value` is on hot paths (SH1's loops). */
const RANGES = new Map(
  Object.entries(TYPECODES).map(([code, { array }]) => {
    const bits = BigInt(array.BYTES_PER_ELEMENT * 8);
    const unsigned = [Uint8Array, Uint16Array, Uint32Array, BigUint64Array].includes(array as never);
    const min = unsigned ? 0n : -(2n ** (bits - 1n));
    const max = (unsigned ? 2n ** bits : 2n ** (bits - 1n)) - 1n;
    return [code, { min, max, minNumber: Number(min), maxNumber: Number(max), big: bits === 64n }];
  }),
);

/**
 * A C type takes only what it can hold: ctypes refuses a float for an int, but wraps an integer
 * that is too big without a word; here that is an error too, since a silent wrap loses data.
 */
function checkNumber(typecode: Typecode, value: unknown): number | bigint {
  const where = `Value('${typecode}')`;
  if (typecode === 'f' || typecode === 'd') {
    if (typeof value !== 'number') throw errors.invalidValue(where, 'the value', 'a number', value);
    return value;
  }
  const range = RANGES.get(typecode)!;
  if (!range.big) {
    if (typeof value === 'number' && Number.isInteger(value) && value >= range.minNumber && value <= range.maxNumber) return value;
  } else {
    const big = typeof value === 'bigint' ? value : typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : undefined;
    if (big !== undefined && big >= range.min && big <= range.max) return big;
  }
  throw errors.invalidValue(where, 'the value', `an integer from ${range.min} to ${range.max}`, value);
}
