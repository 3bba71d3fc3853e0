/**
 * The adapter for our own library (src/), the kit's default. It drives the compiled library in
 * dist/, as a user's program would, because children start from compiled JavaScript; the fixtures
 * are loaded from dist/ too, so the library finds a target's module the way it does for users.
 */
import type * as Library from '../../src';
import {
  CONTRACT_VERSION,
  UNSENDABLE,
  UNSENDABLE_NAME,
  type Adapter,
  type Arg,
  type CreateAdapter,
  type Json,
  type ConnectionHandle,
  type LockHandle,
  type QueueHandle,
  type ProcessHandle,
  type ProcessOptions,
  type SharedHandle,
  type ValueHandle,
} from '../adapter';
import { DIST } from '../harness/paths';

const TASKS_MODULE = `${DIST}/fixtures/ts/tasks.js`;

/* eslint-disable @typescript-eslint/no-require-imports -- runtime code comes from dist/, types from src/ */
const lib = require(`${DIST}/src/index.js`) as typeof Library;
const tasks = require(TASKS_MODULE) as Record<string, unknown>;
/* eslint-enable @typescript-eslint/no-require-imports */

type ProcessClass = new (...args: unknown[]) => Library.Process;

/** A closure named UNSENDABLE_NAME: the typical thing that cannot cross a process boundary in JavaScript. */
const unsendable = (): Arg => {
  const captured = Date.now();
  const closure = { [UNSENDABLE_NAME]: () => captured }[UNSENDABLE_NAME]!; // a computed key names the function
  return closure as unknown as Arg;
};

// A handle this adapter made stands for the library's own object, which the library passes to the child.
const objects = new WeakMap<SharedHandle, Library.Lock | Library.RLock | Library.Value | Library.Queue | Library.Connection>();

const toValue = (arg: Arg): unknown => {
  if (arg === UNSENDABLE) return unsendable();
  return typeof arg === 'object' && arg !== null && objects.has(arg as SharedHandle) ? objects.get(arg as SharedHandle) : arg;
};

function lockHandle(lock: Library.Lock | Library.RLock): LockHandle {
  const handle: LockHandle = {
    kind: lock instanceof lib.RLock ? 'RLock' : 'Lock',
    acquire: (options) => lock.acquire(options),
    release: async () => lock.release(),
  };
  objects.set(handle, lock);
  return handle;
}

function queueHandle(queue: Library.Queue): QueueHandle {
  const handle: QueueHandle = {
    kind: queue instanceof lib.JoinableQueue ? 'JoinableQueue' : 'Queue',
    put: (item, options) => queue.put(item as Library.Json, options),
    get: (options) => queue.get(options) as Promise<Json>,
    qsize: async () => queue.qsize(),
    empty: async () => queue.empty(),
    full: async () => queue.full(),
    close: async () => queue.close(),
    ...(queue instanceof lib.JoinableQueue
      ? { taskDone: async () => queue.taskDone(), join: (options?: { timeout?: number }) => queue.join(options) }
      : {}),
  };
  objects.set(handle, queue);
  return handle;
}

function connectionHandle(connection: Library.Connection): ConnectionHandle {
  const handle: ConnectionHandle = {
    kind: 'Connection',
    send: (item) => connection.send(item as Library.Json),
    recv: () => connection.recv() as Promise<Json>,
    poll: (timeout) => connection.poll(timeout),
    close: async () => connection.close(),
  };
  objects.set(handle, connection);
  return handle;
}

function valueHandle(value: Library.Value<'i' | 'd'>): ValueHandle {
  let lock: LockHandle | undefined; // one handle per lock, as the library keeps one object
  const handle: ValueHandle = {
    kind: 'Value',
    get: async () => value.value,
    set: async (n) => {
      value.value = n;
    },
    getLock: async () => (lock ??= lockHandle(value.getLock())),
  };
  objects.set(handle, value);
  return handle;
}

/** Exported tasks are passed as functions, as a user would; any other name as a reference the library checks. */
function resolveTarget(target: ProcessOptions['target']): unknown {
  if (target === undefined) return undefined;
  if (target === UNSENDABLE) return unsendable();
  const task = tasks[target];
  return typeof task === 'function' ? task : { module: TASKS_MODULE, name: target };
}

function construct(options: ProcessOptions): Library.Process {
  const { target, subclass, args = [], kwargs, ...rest } = options;
  // Anything that is not an array goes to the library as is, for it to refuse (never a throw here).
  const values = Array.isArray(args) ? args.map(toValue) : args;
  if (subclass !== undefined) {
    const Subclass = tasks[subclass];
    if (typeof Subclass !== 'function')
      throw Object.assign(new Error(`no Process subclass '${subclass}' in ${TASKS_MODULE}`), { code: 'ERR_MP_UNKNOWN_TASK' });
    const proc = new (Subclass as ProcessClass)(...(values as unknown[]));
    if (rest.name !== undefined) proc.name = rest.name;
    if (rest.daemon !== undefined) proc.daemon = rest.daemon;
    return proc;
  }
  const isMapping = typeof kwargs === 'object' && kwargs !== null && !Array.isArray(kwargs);
  const kw =
    kwargs === undefined
      ? {}
      : { kwargs: isMapping ? Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [k, toValue(v)])) : kwargs };
  return new lib.Process({ ...rest, ...kw, args: values, target: resolveTarget(target) } as Library.ProcessOptions);
}

function handleOf(proc: Library.Process): ProcessHandle {
  return {
    start: async () => proc.start(),
    run: async () => {
      await proc.run();
    },
    join: async (options) => proc.join(options),
    isAlive: async () => proc.isAlive(),
    terminate: async () => proc.terminate(),
    kill: async () => proc.kill(),
    close: async () => proc.close(),
    pid: async () => proc.pid,
    exitCode: async () => proc.exitCode,
    name: async () => proc.name,
    daemon: async () => proc.daemon,
    setDaemon: async (value) => {
      proc.daemon = value;
    },
  };
}

const createAdapter: CreateAdapter = async ({ variant, settings = {} } = {}) => {
  // Ours has one start method and nothing to set: anything else is a mistake in the choice.
  if (variant !== undefined) throw new Error(`ours has no variants (start methods): got '${variant}'; the choice is plain 'ours'`);
  const unknown = Object.keys(settings);
  if (unknown.length > 0) throw new Error(`ours has no settings: got ${unknown.join(', ')}`);
  const created: Library.Process[] = [];
  const adapter: Adapter = {
    contractVersion: CONTRACT_VERSION,
    name: 'ours',
    capabilities: new Set(['serializes-arguments', 'refuses-unsendable', 'Lock', 'RLock', 'Value', 'Queue', 'JoinableQueue', 'Pipe']),
    Process: async (options) => {
      const proc = construct(options);
      created.push(proc);
      return handleOf(proc);
    },
    currentProcess: async () => {
      const me = lib.currentProcess();
      return { pid: me.pid ?? process.pid, name: me.name };
    },
    activeChildren: async () => lib.activeChildren().map((p) => ({ pid: p.pid ?? -1, name: p.name })),
    callInParent: async (task, args = []) => {
      const fn = tasks[task];
      if (typeof fn !== 'function') throw Object.assign(new Error(`no task '${task}' in ${TASKS_MODULE}`), { code: 'ERR_MP_UNKNOWN_TASK' });
      return (fn as (...a: readonly Json[]) => Json)(...args);
    },
    Lock: async () => lockHandle(new lib.Lock()),
    RLock: async () => lockHandle(new lib.RLock()),
    Value: async (typecode, initial, options = {}) => valueHandle(new lib.Value(typecode, initial, options)),
    Queue: async (maxsize) => queueHandle(new lib.Queue(maxsize)),
    JoinableQueue: async (maxsize) => queueHandle(new lib.JoinableQueue(maxsize)),
    Pipe: async (duplex) => {
      const [a, b] = lib.Pipe(duplex);
      return [connectionHandle(a), connectionHandle(b)];
    },
    program: (name, args = []) => ({ file: process.execPath, args: [`${DIST}/fixtures/ts/programs/${name}.js`, ...args] }),
    close: async () => {
      // Whatever a failed spec left running ends here, so the next spec file starts clean.
      const running = created.filter((p) => safely(() => p.isAlive()));
      for (const p of running) p.kill();
      await Promise.all(running.map((p) => p.join()));
      created.length = 0;
      await lib.stopStandby(); // the library's booted-ahead spare child is ours to end, too
    },
  };
  return adapter;
};

function safely(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false; // closed: nothing to end
  }
}

export default createAdapter;
