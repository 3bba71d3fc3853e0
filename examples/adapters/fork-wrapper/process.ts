/**
 * A small Process on child_process.fork, written as an example of a Node implementation the kit did
 * not write: Python's multiprocessing.Process, with CPython's names, exit codes and lifecycle.
 *
 * How a child gets its work: a target function and a Process subclass travel by reference (the
 * module that exports them and the export's name, found among the loaded modules as pickle's
 * whichmodule does); arguments, keyword arguments and a subclass's own fields travel as values,
 * which must be JSON values (checked at start(), before anything is spawned) and are sent with
 * Node's structured clone, so -0 stays -0. The child (./child.ts) loads the reference, rebuilds
 * the object without running its constructor (as unpickling does), runs it and exits.
 *
 * Every misuse throws a ProcessError whose `code` names the kind of error (the kit's ERROR_CODES).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import * as path from 'node:path';

/** The child's entry: compiled JavaScript next to this file. */
const CHILD_ENTRY = path.join(__dirname, 'child.js');

export class ProcessError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ProcessError';
  }
}

export interface Reference {
  module: string;
  name: string;
}

/** What start() sends to the child: everything it needs to become this process. */
export interface StartMessage {
  name: unknown;
  daemon: unknown;
  identity: number[];
  parent: { pid: number; name: unknown };
  target: Reference | null;
  subclass: Reference | null;
  /** A subclass's own fields. */
  state: Record<string, unknown>;
  args: unknown[];
  kwargs: Record<string, unknown> | null;
}

export interface ProcessOptions {
  target?: unknown;
  args?: unknown[];
  kwargs?: Record<string, unknown> | null;
  name?: string;
  daemon?: boolean;
  /** As in Python, it exists and must be null. */
  group?: null;
}

/** A Process's own state, kept out of the object so that a subclass's own fields are exactly its state. */
interface State {
  name: unknown;
  daemon: unknown;
  identity: number[];
  target: unknown;
  args: unknown[];
  kwargs: Record<string, unknown> | null;
  child: ChildProcess | null;
  exitCode: number | null;
  /** join() calls waiting for the exit. */
  waiters: Set<() => void>;
  closed: boolean;
  /** This object is the process the code runs in (MainProcess, or a child's own object). */
  isCurrent: boolean;
}

const OPTIONS = ['target', 'args', 'kwargs', 'name', 'daemon', 'group'];
const states = new WeakMap<object, State>();
/** Children started here and not yet known to have ended. */
const children = new Set<Process>();
let counter = 0;
let current: Process | undefined;
let parent: { pid: number; name: unknown } | null = null;
let exitHookInstalled = false;

const invalid = (message: string): ProcessError => new ProcessError('ERR_MP_INVALID_OPTION', message);
const describe = (value: unknown): string =>
  typeof value === 'function'
    ? `a function (${value.name || 'anonymous'})`
    : typeof value === 'object' && value !== null
      ? `an object of class ${(value.constructor as { name?: string } | undefined)?.name ?? '(none)'}`
      : typeof value === 'string'
        ? JSON.stringify(value)
        : String(value);
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && [Object.prototype, null].includes(Object.getPrototypeOf(value));

function stateOf(p: Process): State {
  const s = states.get(p);
  if (!s) throw new TypeError('not a Process built by this module');
  return s;
}

/** The state of a process that is not closed. */
function live(p: Process): State {
  const s = stateOf(p);
  if (s.closed) throw new ProcessError('ERR_MP_CLOSED', `process object is closed (${String(s.name)})`);
  return s;
}

export class Process {
  constructor(options: ProcessOptions = {}) {
    const unknown = Object.keys(options).find((key) => !OPTIONS.includes(key));
    if (unknown !== undefined) throw invalid(`Process() got an unexpected option '${unknown}' (it takes ${OPTIONS.join(', ')})`);
    const { target = null, args = [], kwargs = null, name, daemon, group = null } = options;
    if (group !== null) throw invalid(`group must be null, got ${describe(group)}`);
    if (!Array.isArray(args)) throw invalid(`args must be an array, got ${describe(args)}`);
    if (kwargs !== null && !isPlainObject(kwargs)) throw invalid(`kwargs must be a plain object, got ${describe(kwargs)}`);
    const creator = stateOf(currentProcess());
    // One counter for every class, named or not; the identity is the creator's plus the count (`Process-1:2` in a child).
    const identity = [...creator.identity, ++counter];
    // As CPython: a falsy name means the default, and ill-typed values of name and daemon are kept as they are.
    states.set(this, {
      name: name || `${new.target.name || 'Process'}-${identity.join(':')}`,
      daemon: daemon ?? creator.daemon,
      identity,
      target,
      args: [...args],
      kwargs: kwargs === null ? null : { ...kwargs },
      child: null,
      exitCode: null,
      waiters: new Set(),
      closed: false,
      isCurrent: false,
    });
  }

  /** What the child runs; subclasses override it. Called directly, it runs in the calling process. */
  run(): unknown {
    const { target, args, kwargs } = stateOf(this);
    if (!target) return undefined;
    if (typeof target !== 'function') throw new TypeError(`the target ${describe(target)} is not callable`);
    return Reflect.apply(target, undefined, kwargs === null ? args : [...args, kwargs]);
  }

  /** Spawns the child and returns at once. Whatever cannot be sent is refused before anything is spawned. */
  start(): void {
    const s = live(this);
    if (s.child !== null || s.isCurrent)
      throw new ProcessError('ERR_MP_ALREADY_STARTED', `cannot start a process twice (${String(s.name)})`);
    if (stateOf(currentProcess()).daemon)
      throw new ProcessError('ERR_MP_DAEMON_CHILDREN', 'daemonic processes are not allowed to have children');
    const message = startMessage(this, s);
    // env: the environment as this process sees it now (under Jest, the test's own copy).
    const child = fork(CHILD_ENTRY, [], { env: process.env, serialization: 'advanced' });
    s.child = child;
    children.add(this);
    child.on('error', () => {
      // A failed signal or send to a child that is already gone: its 'exit' tells what happened.
    });
    child.once('exit', (code, signal) => {
      s.exitCode = signal ? -constants.signals[signal] : (code ?? 0);
      children.delete(this);
      for (const wake of s.waiters) wake();
    });
    child.send(message);
    if (s.daemon) {
      // A daemonic child does not keep its parent alive, and is terminated when the parent exits.
      child.unref();
      child.channel?.unref();
      installExitHook();
    }
  }

  /** Resolves once the child has ended, or after `timeout` ms. */
  async join(options: { timeout?: number } = {}): Promise<void> {
    const s = live(this);
    if (s.child === null) throw new ProcessError('ERR_MP_NOT_STARTED', `can only join a started process (${String(s.name)})`);
    if (s.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        s.waiters.delete(wake);
        resolve();
      };
      s.waiters.add(wake);
      const timer = options.timeout === undefined ? undefined : setTimeout(wake, Math.max(0, options.timeout));
    });
  }

  isAlive(): boolean {
    const s = live(this);
    return s.isCurrent || (s.child !== null && s.exitCode === null);
  }

  /** SIGTERM; nothing happens to a child that has ended. */
  terminate(): void {
    signal(this, 'SIGTERM', 'terminate');
  }

  /** SIGKILL; nothing happens to a child that has ended. */
  kill(): void {
    signal(this, 'SIGKILL', 'kill');
  }

  /** Releases an ended (or never started) process; anything but name and daemon is refused afterwards. */
  close(): void {
    const s = stateOf(this);
    if (s.closed) return;
    if (s.child !== null && s.exitCode === null)
      throw new ProcessError(
        'ERR_MP_STILL_RUNNING',
        `cannot close a process while it is still running (${String(s.name)}); join() or terminate() it first`,
      );
    // As CPython drops its popen: a closed process takes a new daemon flag again.
    s.child = null;
    s.closed = true;
    children.delete(this);
  }

  get pid(): number | null {
    const s = live(this);
    return s.isCurrent ? process.pid : (s.child?.pid ?? null);
  }

  get exitCode(): number | null {
    return live(this).exitCode;
  }

  get name(): string {
    return stateOf(this).name as string;
  }

  set name(value: string) {
    if (typeof value !== 'string') throw invalid(`name must be a string, got ${describe(value)}`);
    stateOf(this).name = value;
  }

  get daemon(): boolean {
    return stateOf(this).daemon as boolean;
  }

  set daemon(value: boolean) {
    const s = stateOf(this);
    if (s.child !== null)
      throw new ProcessError('ERR_MP_ALREADY_STARTED', `process has already started (${String(s.name)}): set daemon before start()`);
    s.daemon = value;
  }
}

function signal(p: Process, name: 'SIGTERM' | 'SIGKILL', what: string): void {
  const s = live(p);
  if (s.child === null) throw new ProcessError('ERR_MP_NOT_STARTED', `cannot ${what} a process that was not started (${String(s.name)})`);
  if (s.exitCode === null) s.child.kill(name);
}

/** The process this code runs in: MainProcess in a main program, its own Process object in a child. */
export function currentProcess(): Process {
  current ??= adopt(Process, {}, { name: 'MainProcess', daemon: false, identity: [] });
  return current;
}

/** The process that started this one (Python 3.8's parent_process()), or null in a main program. */
export function parentProcess(): { pid: number; name: unknown } | null {
  return parent;
}

/** Children started here and not yet known to have ended. */
export function activeChildren(): Process[] {
  return [...children];
}

/** An object of class `cls` that no constructor ran for, with `fields` as its own properties, as unpickling makes. */
function adopt(
  cls: typeof Process,
  fields: Record<string, unknown>,
  own: Pick<State, 'name' | 'daemon' | 'identity'> & Partial<State>,
): Process {
  const p = Object.create(cls.prototype) as Process;
  for (const [key, value] of Object.entries(fields))
    Object.defineProperty(p, key, { value, writable: true, enumerable: true, configurable: true });
  states.set(p, {
    target: null,
    args: [],
    kwargs: null,
    child: null,
    exitCode: null,
    waiters: new Set(),
    closed: false,
    isCurrent: true,
    ...own,
  });
  return p;
}

/** The start message for `p`, or a ProcessError naming what cannot be sent. */
function startMessage(p: Process, s: State): StartMessage {
  const cls = p.constructor as typeof Process;
  const state = Object.fromEntries(Object.entries(p));
  const target = s.target === null ? null : referenceTo(s.target, 'the target');
  const message: StartMessage = {
    name: s.name,
    daemon: s.daemon,
    identity: s.identity,
    parent: { pid: process.pid, name: currentProcess().name },
    target,
    subclass: cls === Process ? null : referenceTo(cls, `the class ${cls.name}`),
    state,
    args: s.args,
    kwargs: s.kwargs,
  };
  checkJson(s.args, 'args');
  if (s.kwargs !== null) checkJson(s.kwargs, 'kwargs');
  checkJson(state, `the fields of ${cls.name}`);
  return message;
}

/** Where `value` can be loaded from in the child: a module that exports it, among the loaded ones. */
function referenceTo(value: unknown, what: string): Reference {
  if (typeof value === 'function') {
    // Under Jest, require.cache is Jest's module registry: the modules the test loaded.
    for (const file of Object.keys(require.cache)) {
      const exported: unknown = require.cache[file]?.exports;
      if ((typeof exported !== 'object' && typeof exported !== 'function') || exported === null) continue;
      for (const name of Object.keys(exported)) {
        // Data properties only: a getter is not called for this.
        const property = Object.getOwnPropertyDescriptor(exported, name);
        if (property && 'value' in property && property.value === value) return { module: file, name };
      }
    }
  }
  throw new ProcessError(
    'ERR_MP_NOT_SENDABLE',
    `${what}, ${describe(value)}, cannot be sent to the child: it is not exported by any loaded module ` +
      '(the child loads functions and classes by module and name, so a closure or a local function cannot go)',
  );
}

/** Refuses, naming the path, anything but JSON values (null, boolean, finite number, string, array, plain object). */
function checkJson(value: unknown, where: string, within: readonly object[] = []): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number' && Number.isFinite(value)) return;
  const refuse = (why: string): never => {
    throw new ProcessError('ERR_MP_NOT_SENDABLE', `${where} cannot be sent to the child: ${why}; only JSON values can`);
  };
  if (typeof value === 'object' && within.includes(value)) refuse('it contains itself');
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkJson(value[i], `${where}[${i}]`, [...within, value]);
  } else if (isPlainObject(value)) {
    for (const key of Object.keys(value)) checkJson(value[key], `${where}[${JSON.stringify(key)}]`, [...within, value]);
  } else {
    refuse(`it is ${describe(value)}`);
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of children) if (p.daemon) p.terminate();
  });
}

/**
 * For ./child.ts: makes this process the one `message` describes, an object of `cls` with the
 * message's state (no constructor runs), and returns it. Called once before the child loads its
 * target's module, so that currentProcess() already has the child's name, and once after.
 */
export function _becomeChild(message: StartMessage, cls: typeof Process = Process, target: unknown = null): Process {
  parent = message.parent;
  counter = 0; // a child counts its own children from 1, as in CPython
  const { name, daemon, identity, args, kwargs } = message;
  current = adopt(cls, message.state, { name, daemon, identity, target, args, kwargs });
  return current;
}

/** For ./child.ts, as CPython's child does before it exits: terminate the daemonic children, then join them all. */
export async function _endChildren(): Promise<void> {
  const left = [...children];
  for (const p of left) if (p.daemon) p.terminate();
  await Promise.all(left.map((p) => p.join()));
}
