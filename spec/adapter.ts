/**
 * The adapter contract, version 1: everything a specs run needs from an implementation.
 *
 * An adapter is a CommonJS/TS module whose default export is `createAdapter(options)`. The kit
 * picks it with `KIT_ADAPTER=ours|cpython|<path>` (see spec/harness/load-adapter.ts). Specs only
 * ever talk to an implementation through this file's types, so the same spec files run unchanged
 * against our library, against CPython's `multiprocessing`, or against yours.
 *
 * Obligations (the README repeats them):
 * - Every member that waits returns a Promise. Members never throw synchronously: failures are
 *   rejections with an `Error` whose `code` is one of ERROR_CODES (see KitErrorCode).
 * - Tasks are *named fixtures*: `target: 'sleepFor'` means the implementation's own version of
 *   that task under fixtures/<language>/. Specs never ship code.
 * - Children inherit the environment of the process that created the adapter: they find the
 *   observation file in `KIT_OBSERVE_FILE` and append one JSON line per observation to it.
 * - Times are milliseconds, everywhere in the contract.
 */

import * as path from 'node:path';

/** Bumped whenever a member's meaning changes; the harness refuses a mismatch. */
export const CONTRACT_VERSION = 1 as const;

/**
 * Where the compiled fixtures are, for an adapter outside this repository: `<FIXTURES_DIR>/ts/tasks.js`
 * holds the Node tasks and subclasses, `<FIXTURES_DIR>/ts/programs/<name>.js` the programs
 * (fixtures/README.md). Python fixtures are not compiled: `<repository>/fixtures/python`.
 */
export const FIXTURES_DIR = path.resolve(__dirname, __filename.endsWith('.ts') ? '../dist/fixtures' : '../fixtures');

/**
 * The environment variable naming the module through which the Node fixtures reach the
 * implementation under test (fixtures/ts/implementation.ts). An adapter for another Node
 * implementation sets it to an absolute path before loading the fixtures; its children inherit it,
 * provided the implementation passes the parent's environment explicitly (`env: process.env`):
 * under Jest `process.env` is a copy, and fork() and `new Worker()` otherwise hand children the
 * real environment, without the variable.
 */
export const FIXTURE_RUNTIME_ENV = 'KIT_NODE_RUNTIME';

/**
 * The closed capability vocabulary. A capability describes an implementation-defined behaviour
 * that specs branch on; an adapter declaring a flag not listed here is rejected by the harness.
 */
export const CAPABILITIES = {
  'serializes-arguments':
    'target and arguments are serialized at start(): the child gets a copy as of start() (ours; CPython spawn and forkserver). Without it they are inherited by memory (CPython fork). Serializing without refusing what cannot be serialized loses data: P11 requires refuses-unsendable with it.',
  'refuses-unsendable':
    'a target or argument that cannot cross the process boundary fails start(), and nothing is started (ours; CPython spawn and forkserver). Without it, such a value must reach the child intact (CPython fork).',
  'inherits-parent-memory':
    "a child starts with a copy of the parent's memory at start(), so the parent's changes made before start() are visible to it (CPython fork).",
  'forked-by-server':
    "children are forked by a server process, so their OS parent pid is the server's, not the creator's; the library's parent process still names the creator (CPython forkserver).",
  Lock: 'Adapter.Lock() makes a Lock in the parent that children receive as a task argument (the L rules). Declared exactly when the member exists.',
  RLock: 'Adapter.RLock() makes a re-entrant lock the same way (L4). Declared exactly when the member exists.',
  Value: 'Adapter.Value() makes a shared number the same way (L8, SH1). Declared exactly when the member exists.',
  Queue: 'Adapter.Queue() makes a queue the same way (the Q rules, PC1). Declared exactly when the member exists.',
  JoinableQueue: 'Adapter.JoinableQueue() makes a queue with task counting (J1). Declared exactly when the member exists.',
  Pipe: 'Adapter.Pipe() makes a pair of connections (PI1, PI2). Declared exactly when the member exists.',
  'reruns-main-module':
    "every child first runs the parent's main module again, under another name (`__mp_main__`), whatever module its target lives in, so the main module's unguarded top-level code runs once more in each child (CPython spawn and forkserver). Without it a child loads only what its target needs: nothing at all (CPython fork), or the target's own module (ours), which is the main module only when the target is defined there; P13.",
  'visible-zombies':
    'an exited child that nobody has reaped stays visible as a zombie (state Z) until joined or polled (CPython fork and spawn); used by the Z rules.',
} as const;
export type Capability = keyof typeof CAPABILITIES;

/**
 * Error kinds shared by every implementation. Ours throws them as `code`; the CPython adapter maps
 * Python's exception class and message onto them (spec/adapters/cpython-errors.ts).
 */
export const ERROR_CODES = {
  ERR_MP_ALREADY_STARTED: 'start() twice, or daemon set after start (CPython: AssertionError)',
  ERR_MP_NOT_STARTED: 'join/terminate/kill before start() (CPython: AssertionError, or AttributeError on _popen)',
  ERR_MP_STILL_RUNNING: 'close() while the process runs (CPython: ValueError)',
  ERR_MP_CLOSED: 'use of a closed process object (CPython: ValueError "process object is closed")',
  ERR_MP_INVALID_OPTION:
    'an unknown constructor option, args that is not a sequence, kwargs that is not a mapping, or a group other than null (CPython: TypeError, AssertionError for group). CPython accepts ill-typed values of known options (name=42 stays 42); an implementation may refuse them with this code, as a documented deviation',
  ERR_MP_UNKNOWN_TASK: 'the named task does not exist in the fixture module',
  ERR_MP_NOT_SENDABLE: 'a target or argument cannot cross the process boundary (CPython: PicklingError and kin)',
  ERR_MP_DAEMON_CHILDREN: 'a daemon process tried to start a child (CPython: AssertionError)',
  ERR_MP_NOT_HELD: 'release() of a Lock that is not held (CPython: ValueError "semaphore or lock released too many times")',
  ERR_MP_NOT_OWNER:
    'release() of an RLock by a process that does not hold it, or once too often (CPython: AssertionError "attempt to release recursive lock not owned by thread")',
  ERR_MP_NO_LOCK: 'getLock() of a Value made with lock: false (CPython: AttributeError, it has no get_lock)',
  ERR_MP_FULL: 'put() on a full queue without waiting, or after its timeout (CPython: queue.Full)',
  ERR_MP_EMPTY: 'get() on an empty queue without waiting, or after its timeout (CPython: queue.Empty)',
  ERR_MP_QUEUE_CLOSED: 'put() or get() on a queue this process has closed (CPython: ValueError "Queue ... is closed")',
  ERR_MP_TOO_MANY_TASK_DONE: 'taskDone() called more times than items were put (CPython: ValueError "task_done() called too many times")',
  ERR_MP_EOF: 'recv() on a connection whose every peer end is closed, with nothing left to read (CPython: EOFError)',
  ERR_MP_CONNECTION_CLOSED: 'send(), recv() or poll() on a connection this process has closed (CPython: OSError "handle is closed")',
  ERR_MP_READ_ONLY:
    "send() on the receiving end of a one-way pipe, or recv() on its sending end (CPython: OSError 'connection is read-only' / 'write-only')",
  ERR_MP_MISSING_MEMBER:
    "the implementation lacks the member called (billiard has no kill(); multiprocessing.dummy no pid): reported as 'the implementation has no kill()', under the rules that need it only",
} as const;
export type KitErrorCode = keyof typeof ERROR_CODES;

/** What a rejection from an adapter looks like. `pythonType` is set by the CPython adapter. */
export interface KitError extends Error {
  code: KitErrorCode | string;
  pythonType?: string;
}

/** Values that may be passed as task arguments: JSON values, or the UNSENDABLE marker. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/**
 * Stands for "a value that cannot cross a process boundary": the adapter replaces it with its
 * language's typical one, a function local to another function (a closure in TypeScript, a nested
 * def in Python) named UNSENDABLE_NAME, so that an error about it can be checked for naming it. As
 * `target` it means an unsendable task.
 */
export const UNSENDABLE: unique symbol = Symbol.for('mp-kit.unsendable');
export const UNSENDABLE_NAME = 'unsendableValue';
/**
 * A task argument: a JSON value, the UNSENDABLE marker, or a handle to a shared object made by
 * this adapter (Lock(), RLock(), Value()), as an element of `args` or a value of `kwargs`. The
 * adapter gives the child its implementation's real object for a handle, passed the way a program
 * of that language passes it (CPython: the multiprocessing object itself, in the Process's args).
 */
export type Arg = Json | typeof UNSENDABLE | SharedHandle;

export interface ProcessOptions {
  /** Name of a fixture task, or UNSENDABLE. At most one of target/subclass; neither: a process whose run() does nothing. */
  target?: string | typeof UNSENDABLE;
  /** Name of a fixture Process subclass; it is constructed with `args` (its own constructor arguments). */
  subclass?: string;
  args?: readonly Arg[];
  kwargs?: Readonly<Record<string, Arg>>;
  name?: string;
  daemon?: boolean;
  /** Anything else is passed through untouched, so specs can check unknown options are refused. */
  [unknownOption: string]: unknown;
}

/**
 * A process handle. Every property of Python's Process becomes an async getter here.
 *
 * Obligations the harness checks: once start() has resolved, pid() is the child's own pid (never
 * the parent's) and stays so after join(); one handle is one OS process, which ends when its task
 * ends; an unknown task fails no later than start().
 */
export interface ProcessHandle {
  start(): Promise<void>;
  /** Runs the task in the calling process itself, as Python's `p.run()` called directly (no child). */
  run(): Promise<void>;
  /** Resolves when the child ended, or after `timeout` ms with the child still running. */
  join(options?: { timeout?: number }): Promise<void>;
  isAlive(): Promise<boolean>;
  terminate(): Promise<void>;
  kill(): Promise<void>;
  close(): Promise<void>;
  pid(): Promise<number | null>;
  exitCode(): Promise<number | null>;
  name(): Promise<string>;
  daemon(): Promise<boolean>;
  setDaemon(value: boolean): Promise<void>;
}

/**
 * A Lock or RLock made in the parent. The parent uses it through this handle; a child gets the
 * implementation's own object when the handle is among its task's arguments.
 */
export interface LockHandle {
  readonly kind: 'Lock' | 'RLock';
  /**
   * Python's acquire(block, timeout), in the parent: resolves true once held, false if not taken.
   * `block: false` does not wait; `timeout` is in ms (CPython waits not at all for timeout <= 0).
   */
  acquire(options?: { block?: boolean; timeout?: number }): Promise<boolean>;
  /** Rejects with ERR_MP_NOT_HELD (Lock not held) or ERR_MP_NOT_OWNER (RLock not held by the parent). */
  release(): Promise<void>;
}

/** A shared number made in the parent (Python's Value); passed to children like a LockHandle. */
export interface ValueHandle {
  readonly kind: 'Value';
  get(): Promise<number>;
  set(value: number): Promise<void>;
  /** The Value's own lock (Python's get_lock()); ERR_MP_NO_LOCK for a Value made with lock: false. */
  getLock(): Promise<LockHandle>;
}

/** Python's put/get options: `block: false` does not wait; `timeout` in ms. */
export interface QueueWait {
  block?: boolean;
  timeout?: number;
}

/** A Queue or JoinableQueue made in the parent; passed to children like a LockHandle. */
export interface QueueHandle {
  readonly kind: 'Queue' | 'JoinableQueue';
  /** Rejects with ERR_MP_FULL when full and not waiting, or when the timeout passes. */
  put(item: Json | typeof UNSENDABLE, options?: QueueWait): Promise<void>;
  /** Rejects with ERR_MP_EMPTY when empty and not waiting, or when the timeout passes. */
  get(options?: QueueWait): Promise<Json>;
  qsize(): Promise<number>;
  empty(): Promise<boolean>;
  full(): Promise<boolean>;
  /** Python's close(): this process will put and get no more (others are not affected). */
  close(): Promise<void>;
  /** JoinableQueue only: one item is done; ERR_MP_TOO_MANY_TASK_DONE past the items put. */
  taskDone?(): Promise<void>;
  /** JoinableQueue only: resolves when every item put has had taskDone() (or after `timeout` ms, for the kit's budget). */
  join?(options?: { timeout?: number }): Promise<void>;
}

/** One end of a Pipe made in the parent; passed to children like a LockHandle. */
export interface ConnectionHandle {
  readonly kind: 'Connection';
  send(item: Json | typeof UNSENDABLE): Promise<void>;
  /** Rejects with ERR_MP_EOF once every peer end is closed and nothing is left. */
  recv(): Promise<Json>;
  /** True when recv() would not block; waits up to `timeout` ms (0: does not wait). */
  poll(timeout?: number): Promise<boolean>;
  close(): Promise<void>;
}

export type SharedHandle = LockHandle | ValueHandle | QueueHandle | ConnectionHandle;

/** The Value type codes the contract uses: a C int and a C double. */
export type ValueTypecode = 'i' | 'd';

export interface ProcessInfo {
  /** Null only for an implementation whose processes are not OS processes of their own (threads). */
  pid: number | null;
  name: string;
}

/** How to run a whole main program (fixtures/<language>/programs/<name>) from outside. */
export interface ProgramCommand {
  file: string;
  args: string[];
  env?: Record<string, string>;
}

export interface Adapter {
  readonly contractVersion: typeof CONTRACT_VERSION;
  /** Shown in titles and reports, and names the expectations file, e.g. `ours` or `cpython-spawn`. */
  readonly name: string;
  /** Optional: one line for reports, e.g. `CPython 3.11.7, multiprocessing, spawn`. */
  readonly description?: string;
  readonly capabilities: ReadonlySet<Capability>;
  /** Constructs (does not start) a process; a bad option rejects here. */
  Process(options: ProcessOptions): Promise<ProcessHandle>;
  /** The process that creates the children (the parent every child reports as its ppid). */
  currentProcess(): Promise<ProcessInfo>;
  /** Children started and not yet known to have ended (this may reap, as in CPython). */
  activeChildren(): Promise<ProcessInfo[]>;
  /** Runs a named fixture task synchronously in the parent process itself and returns its result. */
  callInParent(task: string, args?: readonly Json[]): Promise<Json>;
  /** The command that runs a named fixture main program in a fresh process of this implementation. */
  program(name: string, args?: readonly string[]): ProgramCommand;
  /**
   * Optional members: shared objects made in the parent. An adapter declares the capability of
   * the same name exactly when it has the member; rules that need a missing one are reported
   * unsupported, with the member named, never passed. Each resolves to a handle that can be put
   * among a task's arguments.
   */
  Lock?(): Promise<LockHandle>;
  RLock?(): Promise<LockHandle>;
  /** Python's Value(typecode, initial, lock=...): `lock` true (default) gives it its own RLock, false none. */
  Value?(typecode: ValueTypecode, initial: number, options?: { lock?: boolean }): Promise<ValueHandle>;
  /** Python's Queue(maxsize): no maxsize (or <= 0) means unbounded. */
  Queue?(maxsize?: number): Promise<QueueHandle>;
  JoinableQueue?(maxsize?: number): Promise<QueueHandle>;
  /** Python's Pipe(duplex): [conn1, conn2]; one-way (duplex false) means conn1 only receives and conn2 only sends. */
  Pipe?(duplex?: boolean): Promise<[ConnectionHandle, ConnectionHandle]>;
  /** Ends everything the adapter started; after it, no process of the adapter is left. */
  close(): Promise<void>;
}

/**
 * What `createAdapter` receives, from the adapter choice `<adapter>[:<variant>][?key=value&...]`
 * (e.g. `cpython:spawn?python=pypy3&module=billiard`, `./my-adapter.ts:fast`). Every adapter gets
 * both; what they mean is the adapter's to document, and an adapter refuses a variant or setting
 * it does not know.
 */
export interface AdapterOptions {
  /** The part after `:`: for implementations that have several ways to run (CPython's fork, spawn, forkserver). */
  variant?: string;
  /** The same as `variant`, under its older name. */
  startMethod?: string;
  /** The `?key=value&...` pairs, decoded. */
  settings?: Readonly<Record<string, string>>;
}

export type CreateAdapter = (options: AdapterOptions) => Promise<Adapter>;
