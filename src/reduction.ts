/**
 * What crosses a process boundary, and how: the start message (CPython's reduction.py).
 *
 * Wire format v1. A child receives exactly one message over the Node IPC channel
 * (child_process.fork with serialization 'json'), right after fork: a string holding the JSON
 * text (toJsonText) of
 *
 *   { v: 1, kind: 'start',
 *     target: TaskRef | null,        the function run() calls, by reference
 *     subclass: TaskRef | null,      the Process subclass to rebuild, by reference (null: Process)
 *     state: { [key]: Json },        that instance's own enumerable string-keyed properties
 *     args: Json[], kwargs: { [key]: Json } | null,   null: run() passes no kwargs argument
 *     name: string, daemon: boolean,
 *     identity: number[],            counters from the main process down: [1, 2] is Process-1:2
 *     parent: { pid: number, name: string } }
 *
 * A TaskRef { module, name } is export `name` of the CommonJS module at absolute path `module`,
 * the way pickle sends a function as module + qualified name. `name: 'default'` also stands for a
 * module whose module.exports is the function itself (Node's own CommonJS interop rule).
 *
 * Values are JSON values only, checked strictly: JSON.stringify would silently turn undefined
 * into nothing, NaN into null and a Date into a string, and the child would run with other data
 * than the parent passed. A value that passes the check round-trips exactly, -0 included (the
 * text is built by toJsonText, because JSON.stringify writes -0 as 0; JSON.parse reads -0 back).
 * Any change to this shape bumps `v`.
 */
import * as path from 'node:path';
import { describeObject, errors } from './errors';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A function (or class) named by module and export, as the child will find it. */
export interface TaskRef {
  readonly module: string;
  readonly name: string;
}

export interface StartMessage {
  v: 1;
  kind: 'start';
  target: TaskRef | null;
  subclass: TaskRef | null;
  state: Record<string, Json>;
  args: Json[];
  kwargs: Record<string, Json> | null;
  name: string;
  daemon: boolean;
  identity: number[];
  parent: { pid: number; name: string };
}

/** What the parent knows at start(); encodeStart() turns it into a StartMessage or throws. */
export interface StartParts {
  target: ((...args: never[]) => unknown) | TaskRef | null;
  subclass: (abstract new (...args: never[]) => unknown) | null;
  instance: object;
  args: readonly unknown[];
  kwargs: Record<string, unknown> | null;
  name: string;
  daemon: boolean;
  identity: readonly number[];
  parent: { pid: number; name: string };
}

export function isTaskRef(value: unknown): value is TaskRef {
  if (typeof value !== 'object' || value === null) return false;
  const { module, name } = value as Partial<Record<keyof TaskRef, unknown>>;
  return typeof module === 'string' && typeof name === 'string';
}

/** Builds and fully validates the start message; throws before anything is spawned. */
export function encodeStart(parts: StartParts): StartMessage {
  const { name } = parts;
  const target = parts.target === null ? null : taskRefOf(parts.target, name, 'target');
  if (target !== null) loadTask(target, name);
  let subclass: TaskRef | null = null;
  const state: Record<string, Json> = {};
  if (parts.subclass !== null) {
    subclass = taskRefOf(parts.subclass, name, 'class');
    loadTask(subclass, name, 'class');
    for (const key of Object.keys(parts.instance)) {
      const value: unknown = (parts.instance as Record<string, unknown>)[key];
      // A TypeScript field declared without an initializer is an own property holding undefined
      // (useDefineForClassFields); it carries nothing, so it is left out rather than refused.
      if (value === undefined) continue;
      state[key] = checkSendable(value, `${parts.subclass.name}${formatKey(key)}`, name);
    }
  }
  const args = checkSendable(parts.args, 'args', name) as Json[];
  const kwargs = parts.kwargs === null ? null : (checkSendable(parts.kwargs, 'kwargs', name) as Record<string, Json>);
  const { daemon, parent } = parts;
  return { v: 1, kind: 'start', target, subclass, state, args, kwargs, name, daemon, identity: [...parts.identity], parent };
}

/** JSON text of a checked value, exactly: unlike JSON.stringify it keeps -0 (as `-0`). */
export function toJsonText(value: Json): string {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : JSON.stringify(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  return `{${Object.entries(value)
    .map(([key, item]) => `${JSON.stringify(key)}:${toJsonText(item)}`)
    .join(',')}}`;
}

/** Checks a received message enough to fail clearly when parent and child disagree on the format. */
export function decodeStart(text: unknown): StartMessage {
  if (typeof text !== 'string') throw errors.badStartMessage(`got ${typeof text} instead of JSON text`);
  const raw: unknown = JSON.parse(text);
  if (typeof raw !== 'object' || raw === null) throw errors.badStartMessage(`got ${typeof raw}`);
  const m = raw as Partial<Record<keyof StartMessage, unknown>>;
  if (m.v !== 1) throw errors.badStartMessage(`got version ${JSON.stringify(m.v)}`);
  if (m.kind !== 'start') throw errors.badStartMessage(`got kind ${JSON.stringify(m.kind)}`);
  const ok =
    (m.target === null || isTaskRef(m.target)) &&
    (m.subclass === null || isTaskRef(m.subclass)) &&
    typeof m.state === 'object' &&
    m.state !== null &&
    Array.isArray(m.args) &&
    (m.kwargs === null || (typeof m.kwargs === 'object' && !Array.isArray(m.kwargs))) &&
    typeof m.name === 'string' &&
    typeof m.daemon === 'boolean' &&
    Array.isArray(m.identity) &&
    m.identity.every((n) => Number.isInteger(n)) &&
    typeof m.parent === 'object' &&
    m.parent !== null;
  if (!ok) throw errors.badStartMessage('a field is missing or has the wrong type');
  return raw as StartMessage;
}

/** Loads the function (or class) a TaskRef names; UnknownTaskError when there is none. */
export function loadTask(ref: TaskRef, owner: string, what: 'target' | 'class' = 'target'): (...args: never[]) => unknown {
  let exports: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading the user's module by path is the point
    exports = require(ref.module);
  } catch (error) {
    throw errors.unknownTask(owner, ref.module, ref.name, 'cannot be loaded: its module failed to load', error);
  }
  const holder = exports as Record<string, unknown> | null | undefined;
  const found: unknown =
    holder != null && Object.hasOwn(holder, ref.name) ? holder[ref.name] : ref.name === 'default' ? exports : undefined;
  if (found === undefined) throw errors.unknownTask(owner, ref.module, ref.name, 'does not exist: the module has no such export');
  if (typeof found !== 'function') {
    throw errors.unknownTask(owner, ref.module, ref.name, `is not a ${what === 'class' ? 'class' : 'function'} but ${typeof found}`);
  }
  return found as (...args: never[]) => unknown;
}

// pickle's whichmodule(), for CommonJS: which loaded module exports this very function?
// Cached per function, like copyreg's dispatch table; a WeakMap lets closures be collected.
const foundRefs = new WeakMap<object, TaskRef>();
const LOADABLE = new Set(['.js', '.cjs']);

function taskRefOf(value: object, owner: string, what: 'target' | 'class'): TaskRef {
  if (typeof value !== 'function') return value as TaskRef;
  const cached = foundRefs.get(value);
  if (cached) return cached;
  let unloadable: string | undefined;
  // require.cache as seen by this module's own require: under Jest it is a view of Jest's registry.
  const cache = require.cache;
  for (const id of Object.keys(cache)) {
    const mod = cache[id];
    if (!mod) continue;
    const exportName = exportNameOf(mod.exports, value);
    if (exportName === undefined) continue;
    const file = mod.filename || id;
    if (!LOADABLE.has(path.extname(file))) {
      unloadable ??= file;
      continue;
    }
    const ref = { module: file, name: exportName };
    foundRefs.set(value, ref);
    return ref;
  }
  const label = value.name || (what === 'target' ? 'anonymous function' : 'anonymous class');
  if (unloadable !== undefined) throw errors.notLoadable(owner, what, label, unloadable);
  throw errors.notExported(owner, what, label);
}

function exportNameOf(exports: unknown, value: object): string | undefined {
  if (exports === value) return 'default';
  if ((typeof exports !== 'object' && typeof exports !== 'function') || exports === null) return undefined;
  for (const key of Object.keys(exports)) {
    // Data properties only: reading an accessor could run a lazy require() with side effects.
    // TypeScript re-exports are accessors, but the defining module holds a data property too.
    const desc = Object.getOwnPropertyDescriptor(exports, key);
    if (desc && 'value' in desc && desc.value === value) return key;
  }
  return undefined;
}

/** The strict JSON check; returns the value itself (typed as Json) or throws NotSendableError. */
export function checkSendable(value: unknown, at: string, owner: string): Json {
  check(value, at, owner, new Set());
  return value as Json;
}

function check(value: unknown, at: string, owner: string, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw errors.notSendableValue(owner, at, `is ${String(value)}`);
      return;
    case 'undefined':
      throw errors.notSendableValue(owner, at, 'is undefined');
    case 'function':
      // Named, so the user finds it: `args[0] is the function onDone`.
      throw errors.notSendableValue(owner, at, `is the function ${value.name || '(anonymous)'}`);
    case 'symbol':
      throw errors.notSendableValue(owner, at, 'is a symbol');
    case 'bigint':
      throw errors.notSendableValue(owner, at, 'is a bigint');
  }
  if (value === null) return;
  const obj = value as object;
  // Only cycles are refused: a shared (acyclic) reference arrives as two equal copies.
  if (ancestors.has(obj)) throw errors.notSendableValue(owner, at, 'is a circular reference');
  ancestors.add(obj);
  if (Array.isArray(obj)) {
    if (!isPlain(obj, 'Array')) throw errors.notSendableValue(owner, at, `is ${describeObject(obj)}`);
    for (let i = 0; i < obj.length; i++) {
      if (!(i in obj)) throw errors.notSendableValue(owner, at, `is a sparse array (index ${i} is a hole)`);
      check(obj[i], `${at}[${i}]`, owner, ancestors);
    }
  } else {
    if (!isPlain(obj, 'Object')) throw errors.notSendableValue(owner, at, `is ${describeObject(obj)}`);
    if (Object.getOwnPropertySymbols(obj).some((s) => Object.prototype.propertyIsEnumerable.call(obj, s))) {
      throw errors.notSendableValue(owner, at, 'has a symbol-keyed property');
    }
    for (const key of Object.keys(obj)) check((obj as Record<string, unknown>)[key], `${at}${formatKey(key)}`, owner, ancestors);
  }
  ancestors.delete(obj);
}

/**
 * A plain object or array, from any realm (Jest runs tests in a vm context): its prototype is
 * null or the realm's own Object.prototype / Array.prototype, recognised by shape, not identity.
 */
export function isPlain(obj: object, kind: 'Object' | 'Array'): boolean {
  const proto: unknown = Object.getPrototypeOf(obj);
  if (proto === null) return kind === 'Object';
  if (proto === (kind === 'Object' ? Object.prototype : Array.prototype)) return true;
  const ctor: unknown = (proto as { constructor?: unknown }).constructor;
  const base: unknown = Object.getPrototypeOf(proto);
  const baseIsRoot = kind === 'Object' ? base === null : base !== null && Object.getPrototypeOf(base) === null;
  return typeof ctor === 'function' && ctor.name === kind && ctor.prototype === proto && baseIsRoot;
}

/** `.label` for identifiers, `["a b"]` otherwise: a path the reader can paste into code. */
function formatKey(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}
