/**
 * Assertions whose failure message is the rule's meaning in one line ("exit code: expected -15,
 * got -9"), which is what reports show, instead of `expect(received).toBe(expected)`. Equality is
 * exact on JSON values: -0 differs from 0, an extra key or element is a difference, and the message
 * names the path of the first difference.
 */
import { inspect, types } from 'node:util';

/**
 * Whether a value is an Error of any realm: under Jest, errors Node's own modules make (ECONNRESET,
 * ENOENT) come from outside the test's realm and are no `instanceof Error` there.
 */
export const isError = (value: unknown): value is Error => value instanceof Error || types.isNativeError(value);

/** A rule did not hold. The message is one line; details follow on the next lines. */
export class RuleViolation extends Error {}
Object.defineProperty(RuleViolation.prototype, 'name', { value: 'RuleViolation' });

const MAX_SHOWN = 160;

/** A value as the message shows it: -0 as -0, long values cut. */
export function show(value: unknown): string {
  const text = Object.is(value, -0) ? '-0' : inspect(value, { depth: 6, breakLength: Infinity, maxStringLength: 80, maxArrayLength: 12 });
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}...` : text;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The path of the first difference between two JSON-like values (exact: Object.is on numbers), or null. */
export function firstDifference(actual: unknown, expected: unknown, path = ''): string | null {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path || 'value'}: expected an array, got ${show(actual)}`;
    if (actual.length !== expected.length)
      return `${path || 'value'}: expected ${expected.length} element(s), got ${actual.length}: ${show(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const d = firstDifference(actual[i], expected[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (isRecord(expected)) {
    if (!isRecord(actual)) return `${path || 'value'}: expected an object, got ${show(actual)}`;
    const extra = Object.keys(actual).filter((k) => !Object.hasOwn(expected, k));
    if (extra.length > 0) return `${path || 'value'}: unexpected key(s) ${show(extra)} (value ${show(actual[extra[0]!])})`;
    for (const key of Object.keys(expected)) {
      if (!Object.hasOwn(actual, key)) return `${path || 'value'}: missing key ${show(key)}`;
      const d = firstDifference(actual[key], expected[key], `${path}[${JSON.stringify(key)}]`);
      if (d) return d;
    }
    return null;
  }
  return Object.is(actual, expected) ? null : `${path || 'value'}: expected ${show(expected)}, got ${show(actual)}`;
}

export function fail(message: string): never {
  throw new RuleViolation(message);
}

interface Checks {
  /** `what` must equal `expected` exactly (deep for arrays and objects). */
  equal<T>(what: string, actual: unknown, expected: T): asserts actual is T;
  atMost(what: string, actual: number, bound: number, basis: string): void;
  atLeast(what: string, actual: number, bound: number, basis: string): void;
  that(condition: boolean, message: string): asserts condition;
}

export const check: Checks = {
  equal<T>(what: string, actual: unknown, expected: T): asserts actual is T {
    const difference = firstDifference(actual, expected);
    if (difference === null) return;
    // At the top level the path is the quantity itself: 'run() records: expected 1 element(s), got 0'.
    if (isRecord(expected) || Array.isArray(expected)) fail(`${what}: ${difference.replace(/^value: /, '')}`);
    fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  },
  atMost(what: string, actual: number, bound: number, basis: string): void {
    if (!(actual <= bound)) fail(`${what}: ${actual.toFixed(1)} ms, more than the bound of ${bound.toFixed(1)} ms (${basis})`);
  },
  atLeast(what: string, actual: number, bound: number, basis: string): void {
    if (!(actual >= bound)) fail(`${what}: ${actual.toFixed(1)} ms, less than ${bound.toFixed(1)} ms (${basis})`);
  },
  that(condition: boolean, message: string): asserts condition {
    if (!condition) fail(message);
  },
};

/**
 * A failed property (fast-check) reports "Property failed after N tests" first and the rule's own
 * violation only as its cause: the cause goes first, so reports and expectations read the meaning
 * ("exit code after exit(128): expected 128, got 0"), and fast-check's counterexample and seed follow.
 */
export function withCauseFirst(failure: unknown): unknown {
  if (!(failure instanceof Error) || !/^Property failed/.test(failure.message)) return failure;
  const cause = (failure as { cause?: unknown }).cause;
  if (!(cause instanceof Error)) return failure;
  const replay = failure.message
    .split('\n')
    .filter((line) => /^(Property failed|\{ seed|Counterexample|Shrunk)/.test(line.trim()))
    .join('\n');
  const merged = new RuleViolation(`${cause.message.split('\n')[0] ?? ''}\n${replay}`, { cause });
  merged.stack = `${merged.name}: ${merged.message}\n${cause.stack?.split('\n').slice(1).join('\n') ?? ''}`;
  return merged;
}
