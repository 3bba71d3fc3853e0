/**
 * What crosses a process boundary, and how: the start message (CPython's reduction.py).
 *
 * Wire format v4. A child receives its start message over the Node IPC channel
 * (child_process.fork with serialization 'json'), right after fork: a string holding the JSON
 * text (toJsonText) of
 *
 *   { v: 4, kind: 'start',
 *     target: TaskRef | null,        the function run() calls, by reference
 *     subclass: TaskRef | null,      the Process subclass to rebuild, by reference (null: Process)
 *     state: { [key]: Json },        that instance's own enumerable string-keyed properties
 *     args: Json[], kwargs: { [key]: Json } | null,   null: run() passes no kwargs argument
 *     name: string, daemon: boolean,
 *     identity: number[],            counters from the main process down: [1, 2] is Process-1:2
 *     parent: { pid: number, name: string },
 *     shared: { at: (string | number)[], ref: SharedRef }[],   shared objects among state, args, kwargs
 *     sockets: { at: (string | number)[] }[] }                 connected net.Sockets among them
 *
 * A shared object (Lock, RLock, Value: src/handles.ts) sits in `state`, `args` or `kwargs` as null,
 * and `shared` says where and which: `at` is the path from the message's top (['args', 0]), `ref`
 *
 *   LockRef  { type: 'Lock' | 'RLock', segment: SegmentRef, offset }
 *   ValueRef { type: 'Value', typecode: 'b'|'B'|'h'|'H'|'i'|'I'|'l'|'L'|'q'|'Q'|'f'|'d',
 *              segment: SegmentRef, offset, lock: LockRef | null }
 *   SegmentRef { pid, fd, ino, size, tag }   memory that process `pid` holds as descriptor `fd`
 *
 * so user data is never mistaken for a handle, whatever its keys.
 *
 * A connected net.Socket (a TCP or Unix-domain connection) sits there as null too, and `sockets`
 * lists where, in order. Its descriptor cannot be JSON: Node's IPC passes one descriptor per
 * message, so socket 0 comes attached to the start message itself and socket i (i >= 1) to a
 * message of its own that follows it, the JSON text of { v: 4, kind: 'socket', index: i }. The
 * child runs nothing before every listed socket has arrived; once all are in their places it
 * sends back one message, the JSON text of { v: 4, kind: 'placed' }, and the parent closes its own
 * copies then (or when the child exits, whichever comes first), so from there on the connection
 * ends when the child ends it (src/popen-spawn.ts).
 *
 * Before any of that, a child sends one message as soon as it has booted, whether or not the start
 * message has come: the JSON text of { v: 4, kind: 'ready' }. The parent's pool of spare children
 * (src/standby.ts) counts on it to know which spares have booted; a parent that has already sent
 * the start message ignores it. v1 (no `shared`), v2 (no `sockets`) and v3 (no `ready`) are refused.
 *
 * A TaskRef { module, name } is export `name` of the module at absolute path `module`, the way
 * pickle sends a function as module + qualified name; the child loads it with require(), so an ES
 * module works where Node can require() one (20.19+, 22.12+: process.features.require_module) and
 * has no top-level await. `name: 'default'` also stands for a module whose module.exports is the
 * function itself (Node's own CommonJS interop rule). A user may give `module` as a file: URL
 * (what import.meta.resolve() returns); it is sent as the path.
 *
 * Values are JSON values only, checked strictly: JSON.stringify would silently turn undefined
 * into nothing, NaN into null and a Date into a string, and the child would run with other data
 * than the parent passed. A value that passes the check round-trips exactly, -0 included (the
 * text is built by toJsonText, because JSON.stringify writes -0 as 0; JSON.parse reads -0 back).
 * Any change to this shape bumps `v` (WIRE_VERSION).
 */
import { Socket } from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeObject, errors } from './errors';
import { checkRef, rebuild, refOf, type SharedRef } from './handles';

/** The `v` of every message this version sends and the only one it reads. */
export const WIRE_VERSION = 4;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A function (or class) named by module and export, as the child will find it. */
export interface TaskRef {
  /** The module's absolute path; from a user also a file: URL, as import.meta.resolve() returns. */
  readonly module: string;
  /** The export's name ('default' for a default export, or a CommonJS module.exports that is the function). */
  readonly name: string;
}

export interface StartMessage {
  v: typeof WIRE_VERSION;
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
  shared: { at: (string | number)[]; ref: SharedRef }[];
  sockets: { at: (string | number)[] }[];
}

/** The message that carries socket `index` (>= 1) of a start message, attached. */
export interface SocketMessage {
  v: typeof WIRE_VERSION;
  kind: 'socket';
  index: number;
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
  const found: Found = { shared: [], sockets: [] };
  if (parts.subclass !== null) {
    subclass = taskRefOf(parts.subclass, name, 'class');
    loadTask(subclass, name, 'class');
    for (const key of Object.keys(parts.instance)) {
      const value: unknown = (parts.instance as Record<string, unknown>)[key];
      // A TypeScript field declared without an initializer is an own property holding undefined
      // (useDefineForClassFields); it carries nothing, so it is left out rather than refused.
      if (value === undefined) continue;
      state[key] = reduce(value, { label: `${parts.subclass.name}${formatKey(key)}`, at: ['state', key] }, name, found);
    }
  }
  const args = reduce(parts.args, { label: 'args', at: ['args'] }, name, found) as Json[];
  const kwargs =
    parts.kwargs === null ? null : (reduce(parts.kwargs, { label: 'kwargs', at: ['kwargs'] }, name, found) as Record<string, Json>);
  const { daemon, parent } = parts;
  const { shared } = found;
  const sockets = found.sockets.map(({ at }) => ({ at }));
  const identity = [...parts.identity];
  const message: StartMessage = {
    v: WIRE_VERSION,
    kind: 'start',
    target,
    subclass,
    state,
    args,
    kwargs,
    name,
    daemon,
    identity,
    parent,
    shared,
    sockets,
  };
  socketObjects.set(
    message,
    found.sockets.map(({ socket }) => socket),
  );
  return message;
}

// The net.Sockets of each message encodeStart() built, in the order of its `sockets`: they travel
// beside the JSON text (Popen attaches them), so they are kept beside the message, not in it.
const socketObjects = new WeakMap<StartMessage, Socket[]>();

/** The sockets to attach to `message` and the messages that follow it, in order (none for most). */
export function socketsOf(message: StartMessage): readonly Socket[] {
  return socketObjects.get(message) ?? [];
}

// A socket handed to a child is no longer this process's to hand: Node has taken its descriptor.
const handedOver = new WeakSet<Socket>();

/** Records that `socket` now belongs to a child process (Popen calls it as it sends the socket). */
export function markHandedOver(socket: Socket): void {
  handedOver.add(socket);
}

/** The child's first message, once it has booted (before its start message is read). */
export const READY_TEXT = toJsonText({ v: WIRE_VERSION, kind: 'ready' });

/** The child's answer once every socket of its start message is in its place. */
export const PLACED_TEXT = toJsonText({ v: WIRE_VERSION, kind: 'placed' });

/** The JSON text of the message that carries socket `index` (>= 1) of a start message. */
export function socketMessageText(index: number): string {
  const message: SocketMessage = { v: WIRE_VERSION, kind: 'socket', index };
  return toJsonText(message as unknown as Json);
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
  const m = parseMessage(text) as Partial<Record<keyof StartMessage, unknown>>;
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
    m.parent !== null &&
    Array.isArray(m.shared) &&
    Array.isArray(m.sockets) &&
    m.sockets.every((s) => typeof s === 'object' && s !== null);
  if (!ok) throw errors.badStartMessage('a field is missing or has the wrong type');
  const message = m as StartMessage;
  // Every ref and every socket's place is checked before any is rebuilt: a malformed message opens nothing.
  for (const { at } of message.sockets) checkPlace(message, at, 'a socket');
  const places = message.shared.map(({ at, ref }) => ({ at: checkPlace(message, at), ref: checkRef(ref) }));
  for (const { at, ref } of places) at.holder[at.key] = rebuild(ref) as never;
  return message;
}

/** The JSON object of a message's text, of this wire version, or a clear error. */
function parseMessage(text: unknown): Record<string, unknown> {
  if (typeof text !== 'string') throw errors.badStartMessage(`got ${typeof text} instead of JSON text`);
  const raw: unknown = JSON.parse(text);
  if (typeof raw !== 'object' || raw === null) throw errors.badStartMessage(`got ${typeof raw}`);
  const m = raw as Record<string, unknown>;
  if (m.v !== WIRE_VERSION) throw errors.badStartMessage(`got version ${JSON.stringify(m.v)}`);
  return m;
}

/** Checks the message that carries socket `index` of the start message (its socket comes beside it). */
export function decodeSocketMessage(text: unknown, index: number): void {
  const m = parseMessage(text);
  if (m.kind !== 'socket' || m.index !== index) {
    throw errors.badStartMessage(
      `expected the message of socket ${index}, got kind ${JSON.stringify(m.kind)} index ${JSON.stringify(m.index)}`,
    );
  }
}

/**
 * Puts the sockets that came with the start message and the messages after it in their places:
 * `received[i]` is what came attached to the message of socket i (undefined if nothing did).
 */
export function placeSockets(message: StartMessage, received: readonly unknown[]): void {
  message.sockets.forEach(({ at }, i) => {
    const socket = received[i];
    if (!(socket instanceof Socket)) throw errors.badStartMessage(`socket ${i} (at ${JSON.stringify(at)}) did not come with its message`);
    const place = checkPlace(message, at, 'a socket');
    place.holder[place.key] = socket as never;
  });
}

/** The container and key that `at` names in the message; only null placeholders in state/args/kwargs. */
function checkPlace(
  message: StartMessage,
  at: unknown,
  what = 'a shared object',
): { holder: Record<string | number, Json>; key: string | number } {
  const path = Array.isArray(at) ? (at as unknown[]) : [];
  const [top] = path;
  const fits = path.length >= 2 && (top === 'state' || top === 'args' || top === 'kwargs');
  let holder: unknown = fits ? message : undefined;
  for (const key of path.slice(0, -1)) {
    const ok =
      (typeof key === 'string' || typeof key === 'number') && typeof holder === 'object' && holder !== null && Object.hasOwn(holder, key);
    holder = ok ? (holder as Record<string | number, unknown>)[key as string] : undefined;
  }
  const key = path[path.length - 1];
  const found =
    typeof holder === 'object' && holder !== null && (typeof key === 'string' || typeof key === 'number') && Object.hasOwn(holder, key);
  if (!found || (holder as Record<string | number, unknown>)[key as string] !== null) {
    throw errors.badStartMessage(`${what}'s place ${JSON.stringify(at)} is not a null in state, args or kwargs`);
  }
  return { holder: holder as Record<string | number, Json>, key: key as string | number };
}

/**
 * Whether require() loads ES modules here (Node 20.19+, 22.12+, unless turned off). Under Jest,
 * whose require() does not, `process` is Jest's copy, without the flag.
 */
const REQUIRES_ESM = process.features.require_module === true;

/** The absolute path a TaskRef's `module` names (an absolute path, or a file: URL), or undefined. */
export function modulePathOf(module: string): string | undefined {
  if (module.startsWith('file:')) {
    try {
      return fileURLToPath(module);
    } catch {
      return undefined;
    }
  }
  return path.isAbsolute(module) ? module : undefined;
}

/** Why require() could not load a module, in the user's terms (an ES module has two ways to fail). */
function loadProblem(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_REQUIRE_ASYNC_MODULE') {
    return (
      'cannot be loaded: it is an ES module with top-level await (itself or a module it imports), which require() cannot load, ' +
      'and a child loads its target with require() so that start() stays synchronous; move the await into a function'
    );
  }
  if (code === 'ERR_REQUIRE_CYCLE_MODULE') {
    return (
      'cannot be loaded: it is an ES module still being evaluated (the main program, or a module on the import path ' +
      'of the code calling start()), which require() cannot load; put the target in a module of its own'
    );
  }
  if (code === 'ERR_REQUIRE_ESM') {
    return (
      `cannot be loaded: it is an ES module, and require() here (Node ${process.version}) cannot load one; ` +
      'Node 20.19+ and 22.12+ can, unless started with --no-experimental-require-module'
    );
  }
  return 'cannot be loaded: its module failed to load';
}

/** Loads the function (or class) a TaskRef names; UnknownTaskError when there is none. */
export function loadTask(ref: TaskRef, owner: string, what: 'target' | 'class' = 'target'): (...args: never[]) => unknown {
  let exports: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading the user's module by path is the point
    exports = require(modulePathOf(ref.module) ?? ref.module);
  } catch (error) {
    throw errors.unknownTask(owner, ref.module, ref.name, loadProblem(error), error);
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
// require.cache holds CommonJS modules and the ES modules loaded with require() (the same module
// instances import gives), never those loaded only by import: Node has no list of those.
const foundRefs = new WeakMap<object, TaskRef>();
const LOADABLE = new Set(REQUIRES_ESM ? ['.js', '.cjs', '.mjs'] : ['.js', '.cjs']);

function taskRefOf(value: object, owner: string, what: 'target' | 'class'): TaskRef {
  if (typeof value !== 'function') {
    const ref = value as TaskRef;
    return { module: modulePathOf(ref.module) ?? ref.module, name: ref.name };
  }
  const cached = foundRefs.get(value);
  if (cached) return cached;
  let unloadable: string | undefined;
  // require.cache as seen by this module's own require: under Jest it is a view of Jest's registry.
  const cache = require.cache;
  const ids = Object.keys(cache);
  for (const id of ids) {
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
  if (unloadable !== undefined) throw errors.notLoadable(owner, what, label, unloadable, REQUIRES_ESM);
  throw errors.notExported(owner, what, label, ids.length, REQUIRES_ESM);
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

/**
 * The JSON text of one item a queue or a connection carries, checked as strictly as arguments are;
 * `what` names it in the error (`Queue.put() item`). Shared objects travel only through start().
 */
export function encodeItem(value: unknown, what: string): string {
  const found: Found = { shared: [], sockets: [] };
  const json = reduce(value, { label: 'the item', at: [] }, what, found);
  if (found.shared.length > 0)
    throw errors.notSendableValue(
      what,
      'the item',
      'holds a Lock, RLock, Value, Queue or Connection, which only start() can pass to a process',
    );
  if (found.sockets.length > 0)
    throw errors.notSendableValue(what, 'the item', 'holds a net.Socket, which only start() can pass to a process');
  return toJsonText(json);
}

/** Where a value sits: as the user reads it (`args[0].x`), and as the wire's `at` path. */
interface Place {
  label: string;
  at: (string | number)[];
}

/** What reduce() took out of a value, with where it was: shared objects and sockets. */
interface Found {
  shared: StartMessage['shared'];
  sockets: { at: (string | number)[]; label: string; socket: Socket }[];
}

/**
 * The strict JSON check, and the extraction of shared objects and sockets: returns the value
 * itself when it is plain JSON, or a copy with null where each of those was, recorded in `found`.
 */
function reduce(value: unknown, place: Place, owner: string, found: Found): Json {
  return reduceInto(value, place, owner, found, new Set());
}

function reduceInto(value: unknown, place: Place, owner: string, found: Found, ancestors: Set<object>): Json {
  const at = place.label;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw errors.notSendableValue(owner, at, `is ${String(value)}`);
      return value;
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
  if (value === null) return null;
  const obj = value as object;
  const ref = refOf(obj);
  if (ref !== undefined) {
    found.shared.push({ at: place.at, ref });
    return null;
  }
  if (obj instanceof Socket) {
    checkSocket(obj, at, owner, found);
    found.sockets.push({ at: place.at, label: at, socket: obj });
    return null;
  }
  // Only cycles are refused: a shared (acyclic) reference arrives as two equal copies.
  if (ancestors.has(obj)) throw errors.notSendableValue(owner, at, 'is a circular reference');
  ancestors.add(obj);
  let result: Json;
  if (Array.isArray(obj)) {
    if (!isPlain(obj, 'Array')) throw errors.notSendableValue(owner, at, `is ${describeObject(obj)}`);
    let copy: Json[] | undefined;
    for (let i = 0; i < obj.length; i++) {
      if (!(i in obj)) throw errors.notSendableValue(owner, at, `is a sparse array (index ${i} is a hole)`);
      const item = reduceInto(obj[i], { label: `${at}[${i}]`, at: [...place.at, i] }, owner, found, ancestors);
      if (item !== obj[i]) copy ??= obj.slice() as Json[];
      if (copy) copy[i] = item;
    }
    result = copy ?? (obj as Json[]);
  } else {
    if (!isPlain(obj, 'Object')) throw errors.notSendableValue(owner, at, `is ${describeObject(obj)}`);
    if (Object.getOwnPropertySymbols(obj).some((s) => Object.prototype.propertyIsEnumerable.call(obj, s))) {
      throw errors.notSendableValue(owner, at, 'has a symbol-keyed property');
    }
    const source = obj as Record<string, unknown>;
    let copy: Record<string, Json> | undefined;
    for (const key of Object.keys(source)) {
      const item = reduceInto(source[key], { label: `${at}${formatKey(key)}`, at: [...place.at, key] }, owner, found, ancestors);
      if (item !== source[key]) copy ??= { ...(source as Record<string, Json>) };
      if (copy) copy[key] = item;
    }
    result = copy ?? (source as Record<string, Json>);
  }
  ancestors.delete(obj);
  return result;
}

/**
 * A socket can be handed to a child only whole: connected, with its encryption (if any) outside
 * this process, and nothing of its byte stream held in this process, where the child would never
 * see it (Node passes the descriptor, not the socket object's buffers).
 */
function checkSocket(socket: Socket, at: string, owner: string, found: Found): void {
  const refuse = (problem: string): never => {
    throw errors.notSendableValue(owner, at, `is a net.Socket ${problem}, so it cannot be handed to a child process`);
  };
  const twin = found.sockets.find((s) => s.socket === socket);
  if (twin) refuse(`that is also ${twin.label}`);
  if (handedOver.has(socket)) refuse('that was already handed to another process');
  if ((socket as { encrypted?: unknown }).encrypted === true) {
    refuse('carrying TLS, whose encryption state lives in this process and cannot be handed over');
  }
  if (socket.destroyed) refuse('that is closed');
  if (socket.pending || socket.connecting) refuse("that is not connected yet: hand it over once 'connect' has fired");
  if (socket.readableLength > 0) {
    refuse(
      `holding ${socket.readableLength} bytes this process has read but not consumed, which the child would never see ` +
        '(a server made with pauseOnConnect: true reads nothing)',
    );
  }
  if (socket.writableLength > 0) refuse(`with ${socket.writableLength} bytes written but not yet sent: wait for 'drain' first`);
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
