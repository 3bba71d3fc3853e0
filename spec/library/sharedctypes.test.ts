/**
 * Our library's Value (src/sharedctypes.ts), beyond what the SH rules ask of every implementation:
 * each typecode holds exactly its C type, in this process and in a child (a bigint for the 64-bit
 * codes); a value the type cannot hold is refused rather than wrapped; and the lock options (its
 * own RLock, a given Lock or RLock, none) are what getLock() returns, in the child too. Children
 * run the compiled library (dist/src) and the tasks of ./tasks/shared-objects.cjs.
 */
import { join } from 'node:path';
import type * as Library from '../../src';
import { Observations } from '../harness/observations';
import { lib, start, useStartedChildren } from './started-children';

type Lock = Library.Lock | Library.RLock;
type Value = Library.Value;
interface Tasks {
  readThenWrite(tag: string, values: Record<string, Value>, writes: Record<string, number | string>): void;
  hammer(tag: string, lock: Lock, value: Value, n: number, gate: Lock): Promise<void>;
}

/* eslint-disable @typescript-eslint/no-require-imports -- the compiled library and tasks, as children run them */
const tasks = require(join(__dirname, 'tasks', 'shared-objects.cjs')) as Tasks;
/* eslint-enable @typescript-eslint/no-require-imports */

useStartedChildren();

// Any code, at run time: the tests go through every typecode, and TypeScript's per-code types
// (number or bigint) are checked by `npm run typecheck` on the library itself.
const makeValue = (code: string, ...rest: unknown[]): Value =>
  new (lib.Value as unknown as new (code: string, ...rest: unknown[]) => Value)(code, ...rest);
const setValue = (value: Value, raw: unknown): void => {
  (value as { value: unknown }).value = raw;
};

/** Code, C type, smallest, largest, and a sample that round-trips exactly. */
const INTEGERS: [string, string, number | bigint, number | bigint][] = [
  ['b', 'c_byte', -128, 127],
  ['B', 'c_ubyte', 0, 255],
  ['h', 'c_short', -32_768, 32_767],
  ['H', 'c_ushort', 0, 65_535],
  ['i', 'c_int', -2_147_483_648, 2_147_483_647],
  ['I', 'c_uint', 0, 4_294_967_295],
  ['q', 'c_longlong', -(2n ** 63n), 2n ** 63n - 1n],
  ['l', 'c_long', -(2n ** 63n), 2n ** 63n - 1n],
  ['Q', 'c_ulonglong', 0n, 2n ** 64n - 1n],
];

describe('Value: typecodes', () => {
  it.each(INTEGERS)("Value('%s') is a %s: zero by default, and every integer from its minimum to its maximum", (code, ctype, min, max) => {
    const big = typeof min === 'bigint';
    const zero = big ? 0n : 0;
    const value = makeValue(code);
    expect(value.typecode).toBe(code);
    expect(value.value).toBe(zero);
    expect(String(value)).toBe(`<Synchronized wrapper for ${ctype}(0)>`);
    for (const n of [min, max, big ? 7n : 7]) {
      setValue(value, n);
      expect(value.value).toBe(n);
      expect(makeValue(code, n).value).toBe(n);
    }
    expect(String(makeValue(code, max, { lock: false }))).toBe(`${ctype}(${max})`);
  });

  it("Value('q') and the other 64-bit codes take a safe integer number too, and read back a bigint", () => {
    expect(makeValue('q', 5).value).toBe(5n);
    expect(makeValue('q', -(2 ** 53) + 1).value).toBe(-(2n ** 53n) + 1n);
    expect(makeValue('Q', 2 ** 53 - 1).value).toBe(2n ** 53n - 1n);
  });

  it("Value('d') is a c_double and Value('f') a c_float, rounded as one", () => {
    const d = makeValue('d', 0.1);
    expect(d.value).toBe(0.1);
    expect(String(d)).toBe('<Synchronized wrapper for c_double(0.1)>');
    setValue(d, -1e300);
    expect(d.value).toBe(-1e300);
    expect(makeValue('d').value).toBe(0);
    const f = makeValue('f', 0.1);
    expect(f.value).toBe(Math.fround(0.1));
    expect(f.value).not.toBe(0.1);
    expect(String(f)).toBe(`<Synchronized wrapper for c_float(${Math.fround(0.1)})>`);
  });
});

describe('Value: what a type cannot hold is refused (InvalidOptionError), never wrapped', () => {
  it.each(INTEGERS)(
    "Value('%s') (%s) refuses one below its minimum, one above its maximum, a fraction and a string",
    (code, _ctype, min, max) => {
      const big = typeof min === 'bigint';
      const below = big ? (min as bigint) - 1n : (min as number) - 1;
      const above = big ? (max as bigint) + 1n : (max as number) + 1;
      const value = makeValue(code, big ? 3n : 3);
      const range = `Value('${code}') expected the value to be an integer from ${min} to ${max}, got`;
      for (const bad of [below, above, 1.5, '3', null, ...(big ? [] : [3n])]) {
        expect(() => setValue(value, bad)).toThrow(expect.objectContaining({ name: 'InvalidOptionError', code: 'ERR_MP_INVALID_OPTION' }));
        expect(() => setValue(value, bad)).toThrow(range);
        expect(() => makeValue(code, bad)).toThrow(range);
      }
      // A refused write changes nothing.
      expect(value.value).toBe(big ? 3n : 3);
    },
  );

  it("Value('d') and Value('f') refuse what is not a number", () => {
    for (const code of ['d', 'f']) {
      const value = makeValue(code, 2.5);
      for (const bad of ['1', 1n, null, {}]) {
        expect(() => setValue(value, bad)).toThrow(`Value('${code}') expected the value to be a number, got`);
      }
      expect(value.value).toBe(2.5);
    }
  });

  it('an unknown typecode, options that are not an object and a bad lock option are refused, naming what is wrong', () => {
    const invalid = expect.objectContaining({ name: 'InvalidOptionError', code: 'ERR_MP_INVALID_OPTION' });
    for (const code of ['z', 'int', 'c', '', 5]) {
      expect(() => makeValue(code as string)).toThrow(invalid);
      expect(() => makeValue(code as string)).toThrow('Value() expected the typecode to be one of b B h H i I l L q Q f d, got');
    }
    expect(() => makeValue('i', 0, null)).toThrow('Value() expected its options to be an object, got null');
    for (const lock of ['yes', 1, {}, new lib.Value('i')]) {
      expect(() => makeValue('i', 0, { lock })).toThrow(invalid);
      expect(() => makeValue('i', 0, { lock })).toThrow("Value() expected the 'lock' option to be a boolean, a Lock or an RLock, got");
    }
  });
});

describe('Value: its lock', () => {
  it('by default a Value has an RLock of its own, the same object at every getLock()', async () => {
    const value = new lib.Value('i', 0);
    const lock = value.getLock();
    expect(lock).toBeInstanceOf(lib.RLock);
    expect(value.getLock()).toBe(lock);
    expect(new lib.Value('i', 0, { lock: true }).getLock()).toBeInstanceOf(lib.RLock);
    expect(new lib.Value('i').getLock()).not.toBe(lock);
    await lock.acquire();
    expect(String(value.getLock())).toBe('<RLock(MainProcess, 1)>');
    lock.release();
  });

  it('a Value made with a Lock or an RLock uses that very object', () => {
    for (const lock of [new lib.Lock(), new lib.RLock()]) {
      const value = new lib.Value('d', 1.5, { lock });
      expect(value.getLock()).toBe(lock);
      expect(String(value)).toBe('<Synchronized wrapper for c_double(1.5)>');
    }
  });

  it('a Value made with { lock: false } has none: getLock() throws NoLockError (ERR_MP_NO_LOCK)', () => {
    const value = new lib.Value('i', 5, { lock: false });
    expect(String(value)).toBe('c_int(5)');
    expect(() => value.getLock()).toThrow(expect.objectContaining({ name: 'NoLockError', code: 'ERR_MP_NO_LOCK' }));
    expect(() => value.getLock()).toThrow('Value: it was made with { lock: false }, so it has no lock to get');
    let error: unknown;
    try {
      value.getLock();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(lib.NoLockError);
    expect(error).toBeInstanceOf(lib.ProcessError);
  });
});

describe('Value across processes', () => {
  it('a child reads what each typecode holds, exactly, and its writes are what the parent reads', async () => {
    const observations = new Observations();
    const given = new lib.Lock();
    const values: Record<string, Value> = {
      i: makeValue('i', -123_456),
      d: makeValue('d', 0.1, { lock: given }),
      b: makeValue('b', -128),
      B: makeValue('B', 255),
      h: makeValue('h', -32_768),
      H: makeValue('H', 65_535),
      I: makeValue('I', 4_294_967_295),
      f: makeValue('f', 0.1, { lock: false }),
      q: makeValue('q', -(2n ** 63n)),
      Q: makeValue('Q', 2n ** 64n - 1n),
    };
    const writes = { i: 7, d: -2.5e-300, b: 127, B: 0, h: 32_767, H: 1, I: 2_147_483_648, f: 1.5, q: '9007199254740993n', Q: '0n' };
    const child = start(tasks.readThenWrite, ['ctypes-across', values, writes]);
    await child.join();
    expect(child.exitCode).toBe(0);
    const [seen] = observations.of('values', 'ctypes-across');
    expect(seen).toMatchObject({
      seen: {
        i: -123_456,
        d: 0.1,
        b: -128,
        B: 255,
        h: -32_768,
        H: 65_535,
        I: 4_294_967_295,
        f: Math.fround(0.1),
        q: `${-(2n ** 63n)}n`,
        Q: `${2n ** 64n - 1n}n`,
      },
      typecodes: { i: 'i', d: 'd', b: 'b', B: 'B', h: 'h', H: 'H', I: 'I', f: 'f', q: 'q', Q: 'Q' },
      locks: {
        i: '<RLock(None, 0)>',
        d: '<Lock(owner=None)>',
        f: { name: 'NoLockError', code: 'ERR_MP_NO_LOCK' },
      },
    });
    const read = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, value.value]));
    expect(read).toEqual({ i: 7, d: -2.5e-300, b: 127, B: 0, h: 32_767, H: 1, I: 2_147_483_648, f: 1.5, q: 2n ** 53n + 1n, Q: 0n });
  }, 20_000);

  it("4 children x 500 increments inside the Value's own RLock count exactly 2,000", async () => {
    const observations = new Observations();
    const value = new lib.Value('i', 0);
    const lock = value.getLock();
    const gate = new lib.Lock();
    await gate.acquire();
    const tags = [0, 1, 2, 3].map((i) => `ctypes-hammer-${i}`);
    const children = tags.map((tag) => start(tasks.hammer, [tag, lock, value, 500, gate]));
    await observations.waitFor('ready', { tok: tags, count: tags.length });
    gate.release();
    for (const child of children) await child.join();
    expect(children.map((c) => c.exitCode)).toEqual([0, 0, 0, 0]);
    expect(value.value).toBe(2_000);
    expect(String(lock)).toBe('<RLock(None, 0)>');
  }, 20_000);
});
