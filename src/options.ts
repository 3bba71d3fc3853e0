/** The options of Process() and join(), their checks, and the exit-code naming of process.ts. */
import { constants } from 'node:os';
import { errors } from './errors';
import { isPlain, isTaskRef, modulePathOf, type TaskRef } from './reduction';

/** Any function: parameters are `never` so that every function type is assignable to it. */
export type Task = (...args: never[]) => unknown;

export interface ProcessOptions {
  /** What run() calls: an exported function, or a TaskRef naming one (module: an absolute path or a file: URL). */
  target?: Task | TaskRef;
  args?: readonly unknown[];
  /** When given, run() passes it to the target as one extra, last argument. */
  kwargs?: Record<string, unknown>;
  name?: string;
  daemon?: boolean;
  /** Python's `group`, kept for the one-to-one mapping: it must be null or absent, as in CPython. */
  group?: null;
}

export interface JoinOptions {
  /** Milliseconds; join() then resolves even if the child still runs (Python returns None either way). */
  timeout?: number;
  signal?: AbortSignal;
}

const OPTION_KEYS = new Set(['target', 'args', 'kwargs', 'name', 'daemon', 'group']);

/** -15 -> '-SIGTERM', as CPython's _exitcode_to_name; other codes unchanged. */
export function exitCodeName(code: number): string {
  const signal = Object.entries(constants.signals).find(([, n]) => n === -code);
  return signal ? `-${signal[0]}` : String(code);
}

/** Python's TypeError for bad keyword arguments: unknown keys, then ill-typed values. */
export function checkOptions(options: unknown): ProcessOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw errors.invalidValue('Process()', 'its options', 'an object', options);
  }
  for (const key of Object.keys(options)) if (!OPTION_KEYS.has(key)) throw errors.unknownOption(key);
  const o = options as Record<keyof ProcessOptions, unknown>;
  const bad = (key: keyof ProcessOptions, expected: string) => errors.invalidValue('Process()', `the '${key}' option`, expected, o[key]);
  if (o.target !== undefined && typeof o.target !== 'function' && !isTaskRef(o.target)) {
    throw bad('target', 'a function or a TaskRef { module, name }');
  }
  if (isTaskRef(o.target) && modulePathOf(o.target.module) === undefined) {
    throw bad('target', "a TaskRef whose module is an absolute path or a file: URL (import.meta.resolve('./tasks.mjs') gives one)");
  }
  if (o.args !== undefined && !Array.isArray(o.args)) throw bad('args', 'an array');
  if (o.kwargs !== undefined && (typeof o.kwargs !== 'object' || o.kwargs === null || !isPlain(o.kwargs, 'Object')))
    throw bad('kwargs', 'a plain object');
  if (o.name !== undefined && typeof o.name !== 'string') throw bad('name', 'a string');
  if (o.daemon !== undefined && typeof o.daemon !== 'boolean') throw bad('daemon', 'a boolean');
  if (o.group !== undefined && o.group !== null) throw bad('group', 'null (as in Python, where it must be None for now)');
  return o as ProcessOptions;
}

export function checkJoinOptions(options: unknown, name: string): JoinOptions {
  const where = `${name}: join()`;
  if (typeof options !== 'object' || options === null) throw errors.invalidValue(where, 'its options', 'an object', options);
  const { timeout, signal } = options as Record<keyof JoinOptions, unknown>;
  if (timeout !== undefined && (typeof timeout !== 'number' || Number.isNaN(timeout))) {
    throw errors.invalidValue(where, "the 'timeout' option", 'a number of milliseconds', timeout);
  }
  // Duck-typed: under Jest the test's AbortSignal may come from another realm.
  const isSignal = typeof signal === 'object' && signal !== null && 'aborted' in signal && 'addEventListener' in signal;
  if (signal !== undefined && !isSignal) {
    throw errors.invalidValue(where, "the 'signal' option", 'an AbortSignal', signal);
  }
  // As in CPython, a negative timeout means "do not wait".
  return { timeout: timeout === undefined ? undefined : Math.max(0, timeout), signal: signal as AbortSignal | undefined };
}
