/** Every error the library throws, and every message it can show, in one place. */

/**
 * The codes of spec/adapter.ts ERROR_CODES, verbatim, plus two the specs never provoke:
 * ERR_MP_BOOTSTRAPPING (a child's module started a process while being loaded, a fork bomb in the
 * making) and ERR_MP_SPAWN_FAILED (the OS refused to create a process).
 */
export type ProcessErrorCode =
  | 'ERR_MP_ALREADY_STARTED'
  | 'ERR_MP_NOT_STARTED'
  | 'ERR_MP_STILL_RUNNING'
  | 'ERR_MP_CLOSED'
  | 'ERR_MP_INVALID_OPTION'
  | 'ERR_MP_UNKNOWN_TASK'
  | 'ERR_MP_NOT_SENDABLE'
  | 'ERR_MP_DAEMON_CHILDREN'
  | 'ERR_MP_BOOTSTRAPPING'
  | 'ERR_MP_SPAWN_FAILED'
  | 'ERR_MP_NOT_HELD'
  | 'ERR_MP_NOT_OWNER'
  | 'ERR_MP_NO_LOCK'
  | 'ERR_MP_FULL'
  | 'ERR_MP_EMPTY'
  | 'ERR_MP_QUEUE_CLOSED'
  | 'ERR_MP_TOO_MANY_TASK_DONE'
  | 'ERR_MP_EOF'
  | 'ERR_MP_CONNECTION_CLOSED'
  | 'ERR_MP_READ_ONLY'
  | 'ERR_MP_SHARED_MEMORY';

// Symbol.for, not Symbol(): the brand must survive a second copy of this library (dist/ next to
// src/ under ts-jest) and other realms, where instanceof fails.
const BRAND = Symbol.for('mp-conformance-kit.ProcessError');

/** True for every error this library throws on purpose (InvalidOptionError included). */
export function isProcessError(value: unknown): value is ProcessError | InvalidOptionError {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}

/** `name` lives on the prototype, non-enumerable, so logs do not repeat it on every instance. */
function setErrorName(ctor: { prototype: object }, name: string): void {
  Object.defineProperty(ctor.prototype, 'name', { value: name, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(ctor.prototype, BRAND, { value: true });
}

export class ProcessError extends Error {
  readonly code: ProcessErrorCode;

  constructor(message: string, code: ProcessErrorCode, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }

  // InvalidOptionError has to be a TypeError (as in Python), so it cannot inherit from this class;
  // the brand lets `e instanceof ProcessError` still mean "any error of this library".
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== ProcessError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return isProcessError(value);
  }
}
setErrorName(ProcessError, 'ProcessError');

/** Python: AssertionError 'cannot start a process twice' / 'process has already started'. */
export class AlreadyStartedError extends ProcessError {
  constructor(message: string) {
    super(message, 'ERR_MP_ALREADY_STARTED');
  }
}
/** Python: AssertionError 'can only join a started process' (AttributeError for terminate/kill). */
export class NotStartedError extends ProcessError {
  constructor(message: string) {
    super(message, 'ERR_MP_NOT_STARTED');
  }
}
/** Python: ValueError from close() on a running process. */
export class StillRunningError extends ProcessError {
  constructor(message: string) {
    super(message, 'ERR_MP_STILL_RUNNING');
  }
}
/** Python: ValueError 'process object is closed'. */
export class ClosedError extends ProcessError {
  constructor(message: string) {
    super(message, 'ERR_MP_CLOSED');
  }
}
/** A TaskRef whose module cannot be loaded or does not export a function of that name. */
export class UnknownTaskError extends ProcessError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'ERR_MP_UNKNOWN_TASK', options);
  }
}
/** Python: PicklingError and kin. */
export class NotSendableError extends ProcessError {
  constructor(message: string) {
    super(message, 'ERR_MP_NOT_SENDABLE');
  }
}
/** Python: AssertionError 'daemonic processes are not allowed to have children'. */
export class DaemonChildrenError extends ProcessError {
  constructor(message: string) {
    super(message, 'ERR_MP_DAEMON_CHILDREN');
  }
}
/** Python: spawn's RuntimeError 'An attempt has been made to start a new process before ...'. */
export class BootstrappingError extends ProcessError {
  constructor(message: string) {
    super(message, 'ERR_MP_BOOTSTRAPPING');
  }
}
/** Python: the OSError of fork(). */
export class SpawnError extends ProcessError {
  constructor(message: string) {
    super(message, 'ERR_MP_SPAWN_FAILED');
  }
}

/** Python: ValueError 'semaphore or lock released too many times'. */
export class NotHeldError extends ProcessError {
  constructor(message: string) {
    super(message, 'ERR_MP_NOT_HELD');
  }
}
/** Python: AssertionError 'attempt to release recursive lock not owned by thread'. */
export class NotOwnerError extends ProcessError {
  constructor(message: string) {
    super(message, 'ERR_MP_NOT_OWNER');
  }
}
/** Python: AttributeError, a Value made with lock=False has no get_lock(). */
export class NoLockError extends ProcessError {
  constructor(message: string) {
    super(message, 'ERR_MP_NO_LOCK');
  }
}
/** Python: queue.Full. Named as Python's, so `catch (e) { if (e instanceof Full) ... }` reads the same. */
export class Full extends ProcessError {
  constructor(message: string) {
    super(message, 'ERR_MP_FULL');
  }
}
/** Python: queue.Empty. */
export class Empty extends ProcessError {
  constructor(message: string) {
    super(message, 'ERR_MP_EMPTY');
  }
}
/** Python: ValueError 'Queue ... is closed'. */
export class QueueClosedError extends ProcessError {
  constructor(message: string) {
    super(message, 'ERR_MP_QUEUE_CLOSED');
  }
}
/** Python: ValueError 'task_done() called too many times'. */
export class TooManyTaskDoneError extends ProcessError {
  constructor(message: string) {
    super(message, 'ERR_MP_TOO_MANY_TASK_DONE');
  }
}
/** Python: EOFError from recv(). Not named EOFError: that reads as Node's stream error. */
export class EndOfFileError extends ProcessError {
  constructor(message: string) {
    super(message, 'ERR_MP_EOF');
  }
}
/** Python: OSError 'handle is closed'. */
export class ConnectionClosedError extends ProcessError {
  constructor(message: string) {
    super(message, 'ERR_MP_CONNECTION_CLOSED');
  }
}
/** Python: OSError 'connection is read-only' / 'connection is write-only'. */
export class ReadOnlyError extends ProcessError {
  constructor(message: string) {
    super(message, 'ERR_MP_READ_ONLY');
  }
}
/** A shared object that cannot be created or reached: Python's OSError from sem_open or mmap. */
export class SharedMemoryError extends ProcessError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'ERR_MP_SHARED_MEMORY', options);
  }
}

// Each subclass names itself (the class name survives compilation: no minifier runs here).
for (const ctor of [
  AlreadyStartedError,
  NotStartedError,
  StillRunningError,
  ClosedError,
  UnknownTaskError,
  NotSendableError,
  DaemonChildrenError,
  BootstrappingError,
  SpawnError,
  NotHeldError,
  NotOwnerError,
  NoLockError,
  Full,
  Empty,
  QueueClosedError,
  TooManyTaskDoneError,
  EndOfFileError,
  ConnectionClosedError,
  ReadOnlyError,
  SharedMemoryError,
]) {
  setErrorName(ctor, ctor.name);
}

/** Python: TypeError. A TypeError here too, so generic `catch (e) { if (e instanceof TypeError) }` works. */
export class InvalidOptionError extends TypeError {
  readonly code = 'ERR_MP_INVALID_OPTION' as const;
}
setErrorName(InvalidOptionError, 'InvalidOptionError');

/** The shape of Node's own AbortError (timers/promises, events.once), which Node does not export. */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR' as const;
  constructor(message = 'The operation was aborted', options?: ErrorOptions) {
    super(message, options);
  }
}
Object.defineProperty(AbortError.prototype, 'name', { value: 'AbortError', writable: true, configurable: true, enumerable: false });

/** A short "what arrived" for validation messages: `5 (number)`, `'x' (string)`, `a Date (object)`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array (object)';
  switch (typeof value) {
    case 'string':
      return `${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)} (string)`;
    case 'function':
      return `function ${value.name || '(anonymous)'} (function)`;
    case 'object':
      return `${describeObject(value)} (object)`;
    case 'symbol':
      return `${value.toString()} (symbol)`;
    default:
      return `${String(value)} (${typeof value})`;
  }
}

/** `a Date`, `an instance of Foo`, `a plain object`: enough to tell what went wrong. */
export function describeObject(value: object): string {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === null) return 'a plain object';
  const ctor: unknown = (proto as { constructor?: unknown }).constructor;
  const name = typeof ctor === 'function' ? ctor.name : '';
  if (name === 'Object') return 'a plain object';
  return name ? `an instance of ${name}` : 'an object with a custom prototype';
}

const JSON_ONLY = 'only JSON values (null, boolean, finite number, string, array, plain object) can cross a process boundary';

/** Factories for every error above; `name` is the process's name, which every message starts with. */
export const errors = {
  startTwice: (name: string) => new AlreadyStartedError(`${name}: cannot start a process twice`),
  daemonAfterStart: (name: string) => new AlreadyStartedError(`${name}: process has already started`),
  joinBeforeStart: (name: string) => new NotStartedError(`${name}: can only join a started process`),
  signalBeforeStart: (name: string, action: 'terminate' | 'kill') =>
    new NotStartedError(`${name}: cannot ${action} a process that has not been started`),
  stillRunning: (name: string) =>
    new StillRunningError(`${name}: Cannot close a process while it is still running. You should first call join() or terminate().`),
  closed: (name: string) => new ClosedError(`${name}: process object is closed`),
  daemonChildren: (name: string) => new DaemonChildrenError(`${name}: daemonic processes are not allowed to have children`),
  bootstrapping: (name: string) =>
    new BootstrappingError(
      `${name}: a new process was started while the current child process was still loading its ` +
        'modules. A module that starts processes when it is loaded must guard that code with ' +
        '`if (require.main === module)`, or every child would start children of its own',
    ),
  spawnFailed: (name: string) => new SpawnError(`${name}: the operating system could not create a child process`),

  unknownOption: (key: string, where = 'Process()') => new InvalidOptionError(`${where} got an unknown option '${key}'`),
  invalidValue: (where: string, what: string, expected: string, value: unknown) =>
    new InvalidOptionError(`${where} expected ${what} to be ${expected}, got ${describeValue(value)}`),

  notSendableValue: (name: string, path: string, problem: string) => new NotSendableError(`${name}: ${path} ${problem}; ${JSON_ONLY}`),
  notExported: (name: string, what: 'target' | 'class', label: string, looked: number, requiresEsm: boolean) => {
    const where =
      `it is not exported by any loaded module (looked in require.cache, ${looked} modules: the CommonJS modules loaded so far` +
      (requiresEsm ? ' and the ES modules loaded with require(); one loaded by import is never there)' : ')');
    const load = requiresEsm
      ? `load that module with require() (in an ES module: createRequire(import.meta.url)('./tasks.mjs'))`
      : `load that module with require() (a CommonJS module: require() here cannot load an ES module; Node 20.19+ and 22.12+ can)`;
    const exportName = /^[A-Za-z_$][\w$]*$/.test(label) ? label : '<its export name>';
    const byName = requiresEsm ? `import.meta.resolve('./tasks.mjs')` : `'/absolute/path/of/tasks.js'`;
    return new NotSendableError(
      what === 'target'
        ? `${name}: target ${label} cannot be sent to a child process: ${where}. A closure or arrow function defined inside ` +
            `another function cannot cross a process boundary; export it from a module, then ${load}, or name it: ` +
            `target: { module: ${byName}, name: '${exportName}' } (module: an absolute path or a file: URL)`
        : `${name}: class ${label} cannot be sent to a child process: ${where}. A class defined inside a function cannot cross ` +
            `a process boundary; export it from a module, then ${load}: a Process subclass is found only among loaded modules`,
    );
  },
  notLoadable: (name: string, what: 'target' | 'class', label: string, file: string, requiresEsm: boolean) =>
    new NotSendableError(
      `${name}: ${what} ${label} cannot be sent to a child process: it is exported by ${file}, which a child ` +
        `cannot load; children load compiled JavaScript modules only (.js, .cjs${requiresEsm ? ', .mjs' : ''}): ` +
        'export it from the compiled module and load that one',
    ),
  unknownTask: (name: string, module: string, exportName: string, problem: string, cause?: unknown) =>
    new UnknownTaskError(`${name}: task '${exportName}' of ${module} ${problem}`, cause === undefined ? undefined : { cause }),

  releasedTooManyTimes: (what: 'Lock') => new NotHeldError(`${what}: released too many times: release() of a lock that is not held`),
  full: (what: string) => new Full(`${what}.put(): the queue is full`),
  empty: (what: string) => new Empty(`${what}.get(): the queue is empty`),
  queueClosed: (what: string, action: string) => new QueueClosedError(`${what}.${action}(): the queue is closed in this process`),
  tooManyTaskDone: () => new TooManyTaskDoneError('JoinableQueue.taskDone(): called more times than items were put'),
  itemTooLarge: (where: string, container: 'queue' | 'pipe', bytes: number, limit: number) =>
    new NotSendableError(`${where}: the item is ${bytes} bytes as JSON, more than the ${container}'s buffer holds (${limit} bytes)`),
  endOfFile: () => new EndOfFileError('Connection.recv(): end of file: every other copy of the sending end is closed, and nothing is left'),
  connectionClosed: (action: string) => new ConnectionClosedError(`Connection.${action}(): the connection is closed`),
  readOnly: (action: 'send' | 'recv') =>
    new ReadOnlyError(`Connection.${action}(): the connection is ${action === 'send' ? 'read-only' : 'write-only'}`),
  noLock: () => new NoLockError('Value: it was made with { lock: false }, so it has no lock to get'),
  notOwner: () => new NotOwnerError('RLock: cannot release a recursive lock that this process does not hold'),
  sharedMemory: (problem: string, cause?: unknown) => new SharedMemoryError(problem, cause === undefined ? undefined : { cause }),
  sharedObjectGone: (what: string, pid: number, cause: unknown) =>
    new SharedMemoryError(
      `${what} cannot be reached: process ${pid}, which passed it on, ended before this process attached it, ` +
        'or belongs to another user (a shared object is attached when the start message is read)',
      { cause },
    ),

  /** Not a ProcessError: it means parent and child run different versions of this library. */
  // The version is src/reduction.ts's WIRE_VERSION (not imported: reduction.ts imports this module).
  badStartMessage: (detail: string) => new Error(`invalid start message (wire format v4 expected): ${detail}`),
};
