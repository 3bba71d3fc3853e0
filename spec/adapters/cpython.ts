/**
 * The Python reference adapter: the contract mapped onto a Python multiprocessing implementation,
 * run by the agent (cpython-agent.ts). CPython's own `multiprocessing` by default; the interpreter
 * and the module are settings (`cpython:spawn?python=pypy3&module=billiard`, or KIT_PYTHON and
 * KIT_PYTHON_MODULE, or `npm run test:adapter -- --python pypy3 --module billiard`).
 */
import * as path from 'node:path';
import {
  CONTRACT_VERSION,
  UNSENDABLE,
  type Adapter,
  type Capability,
  type ConnectionHandle,
  type CreateAdapter,
  type Json,
  type LockHandle,
  type ProcessHandle,
  type ProcessInfo,
  type ProcessOptions,
  type ProgramCommand,
  type QueueHandle,
  type QueueWait,
  type ValueHandle,
  type ValueTypecode,
} from '../adapter';
import { REPO_ROOT } from '../harness/paths';
import { Agent, DEFAULT_PYTHON, type Hello } from './cpython-agent';
import { agentError } from './cpython-errors';

const PROGRAMS_DIR = path.join(REPO_ROOT, 'fixtures', 'python', 'programs');
const UNSENDABLE_WIRE = { $unsendable: true };

// Per start method: fork copies memory and pickles nothing; spawn and forkserver pickle at start(),
// and refuse what pickle refuses. Forkserver children are children of the server process, which
// reaps them: no visible zombie, and their OS parent pid is the server's. An implementation
// without start methods (multiprocessing.dummy: threads) claims nothing.
const CAPABILITIES: Readonly<Record<string, readonly Capability[]>> = {
  fork: ['inherits-parent-memory', 'visible-zombies'],
  spawn: ['serializes-arguments', 'refuses-unsendable', 'visible-zombies', 'reruns-main-module'],
  forkserver: ['serializes-arguments', 'refuses-unsendable', 'forked-by-server', 'reruns-main-module'],
};
const DEFAULT_MODULE = 'multiprocessing';
const SETTINGS = ['python', 'module'];

/**
 * `cpython-fork` for CPython's own multiprocessing (the names expectations files and reports use),
 * else `<interpreter>[-<module>]-<method>`: `pypy-fork`, `cpython-billiard-spawn`, `cpython-multiprocessing.dummy`.
 */
function nameOf(hello: Hello, method: string): string {
  const interpreter = hello.implementation.toLowerCase();
  const module = hello.module === DEFAULT_MODULE ? '' : `-${hello.module}`;
  return `${interpreter}${module}${hello.startMethod === null ? '' : `-${method}`}`;
}

/** The shared objects the agent can make (its hello lists those the module has); each is also a capability. */
const SHARED_MAKERS = ['Lock', 'RLock', 'Value', 'Queue', 'JoinableQueue', 'Pipe'] as const;
type SharedMaker = (typeof SHARED_MAKERS)[number];

/**
 * UNSENDABLE becomes {"$unsendable": true} and a shared handle of this adapter {"$shared": id},
 * anywhere in a value; everything else is plain JSON. `sharedId` knows this adapter's handles.
 */
function toWire(value: unknown, sharedId: (handle: object) => number | undefined = () => undefined): unknown {
  if (value === UNSENDABLE) return UNSENDABLE_WIRE;
  if (Array.isArray(value)) return value.map((item) => toWire(item, sharedId));
  if (value !== null && typeof value === 'object') {
    const id = sharedId(value);
    if (id !== undefined) return { $shared: id };
    if (value instanceof SharedObject) {
      throw new Error(`a shared ${value.kind} handle made by another adapter cannot be passed to this one`);
    }
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toWire(item, sharedId)]));
  }
  return value;
}

function expect<T extends Json>(check: (value: Json) => value is T, what: string) {
  return (value: Json): T => {
    if (!check(value)) throw new Error(`the agent returned ${JSON.stringify(value)} where ${what} was expected`);
    return value;
  };
}
const isBoolean = (value: Json): value is boolean => typeof value === 'boolean';
const isNumberOrNull = (value: Json): value is number | null => value === null || typeof value === 'number';
const asBoolean = expect(isBoolean, 'a boolean');
const asNumberOrNull = expect(isNumberOrNull, 'a number or null');
const asNumber = expect((value: Json): value is number => typeof value === 'number', 'a number');
const asVoid = (): void => undefined;
function asHandle(value: Json): number {
  const handle = (value as { handle?: unknown } | null)?.handle;
  if (typeof handle !== 'number') throw new Error(`the agent returned ${JSON.stringify(value)} where {handle} was expected`);
  return handle;
}
function asHandlePair(value: Json): [number, number] {
  const handles = (value as { handles?: unknown } | null)?.handles;
  if (!Array.isArray(handles) || handles.length !== 2 || !handles.every((h) => typeof h === 'number')) {
    throw new Error(`the agent returned ${JSON.stringify(value)} where {handles: [n, n]} was expected`);
  }
  return [handles[0] as number, handles[1] as number];
}
function asInfo(value: Json): ProcessInfo {
  const info = value as { pid?: unknown; name?: unknown } | null;
  if ((typeof info?.pid !== 'number' && info?.pid !== null) || typeof info.name !== 'string') {
    throw new Error(`the agent returned ${JSON.stringify(value)} where {pid, name} was expected`);
  }
  return { pid: info.pid, name: info.name };
}

/** A handle on a multiprocessing.Process living in the agent. */
class CPythonProcess implements ProcessHandle {
  constructor(
    private readonly agent: Agent,
    private readonly handle: number,
  ) {}

  start(): Promise<void> {
    return this.call('start').then(asVoid);
  }
  run(): Promise<void> {
    return this.call('run').then(asVoid);
  }
  join(options?: { timeout?: number }): Promise<void> {
    const timeout = options?.timeout;
    // Python's join takes seconds; a non-number is passed as is, for CPython to refuse.
    return this.call('join', timeout === undefined ? [] : [typeof timeout === 'number' ? timeout / 1000 : timeout]).then(asVoid);
  }
  isAlive(): Promise<boolean> {
    return this.call('is_alive').then(asBoolean);
  }
  terminate(): Promise<void> {
    return this.call('terminate').then(asVoid);
  }
  kill(): Promise<void> {
    return this.call('kill').then(asVoid);
  }
  close(): Promise<void> {
    return this.call('close').then(asVoid);
  }
  pid(): Promise<number | null> {
    return this.get('pid').then(asNumberOrNull);
  }
  exitCode(): Promise<number | null> {
    return this.get('exitcode').then(asNumberOrNull);
  }
  // name and daemon are passed through as Python holds them: CPython accepts ill-typed values for
  // both (name=42 stays 42), and the reference must show that rather than refuse it.
  name(): Promise<string> {
    return this.get('name') as Promise<string>;
  }
  daemon(): Promise<boolean> {
    return this.get('daemon') as Promise<boolean>;
  }
  setDaemon(value: boolean): Promise<void> {
    return this.agent.request('set', { handle: this.handle, attr: 'daemon', value }).then(asVoid);
  }

  private call(method: string, args: unknown[] = []): Promise<Json> {
    return this.agent.request('call', { handle: this.handle, method, args });
  }
  private get(attr: string): Promise<Json> {
    return this.agent.request('get', { handle: this.handle, attr });
  }
}

/** A shared object living in the agent, named by its handle there (agent-protocol.md). */
abstract class SharedObject {
  abstract readonly kind: string;

  constructor(
    protected readonly agent: Agent,
    protected readonly handle: number,
  ) {}

  // The handle stays reachable until its request is answered, so it is never released (and its
  // object's threads in the agent stopped) while one of its requests is under way.
  protected request(op: string, fields: Record<string, unknown>): Promise<Json> {
    return this.agent.request(op, { handle: this.handle, ...fields }).finally(() => keep(this));
  }
  protected call(method: string, args: unknown[] = []): Promise<Json> {
    // An item may be the UNSENDABLE marker (Q2): the agent makes it a local function.
    return this.request('call', { method, args: args.map((arg) => toWire(arg)) });
  }
}

/**
 * A Lock or RLock living in the agent. Every operation on it runs on that lock's own thread in the
 * agent (agent-protocol.md), so an RLock acquired here is owned, re-entered and released by one
 * thread, as in a program's main thread.
 */
class CPythonLock extends SharedObject implements LockHandle {
  constructor(
    readonly kind: 'Lock' | 'RLock',
    agent: Agent,
    handle: number,
  ) {
    super(agent, handle);
  }

  acquire(options?: { block?: boolean; timeout?: number }): Promise<boolean> {
    const timeout = options?.timeout;
    // acquire(False); acquire(True, seconds); acquire(). A non-number timeout goes as is, for Python to refuse.
    const args =
      options?.block === false ? [false] : timeout !== undefined ? [true, typeof timeout === 'number' ? timeout / 1000 : timeout] : [];
    return this.call('acquire', args).then(asBoolean);
  }
  release(): Promise<void> {
    return this.call('release').then(asVoid);
  }
}

/** A Value living in the agent: `.value` read and written there, on its lock's thread when it has one. */
class CPythonValue extends SharedObject implements ValueHandle {
  readonly kind = 'Value';
  private lock: Promise<LockHandle> | undefined;

  constructor(
    agent: Agent,
    handle: number,
    private readonly typecode: ValueTypecode,
    private readonly adoptLock: (kind: 'Lock' | 'RLock', handle: number) => LockHandle,
  ) {
    super(agent, handle);
  }

  get(): Promise<number> {
    return this.request('get', { attr: 'value' }).then(asNumber);
  }
  set(value: number): Promise<void> {
    return this.request('set', { attr: 'value', value: wireNumber(this.typecode, value) }).then(asVoid);
  }
  /** One LockHandle per Value, kept by it: the agent names a lock by one handle for as long as it is held. */
  getLock(): Promise<LockHandle> {
    if (this.lock === undefined) {
      const lock = this.request('get_lock', {}).then((result) => {
        const kind = (result as { kind?: unknown } | null)?.kind;
        if (kind !== 'Lock' && kind !== 'RLock') throw new Error(`get_lock returned ${JSON.stringify(result)}`);
        return this.adoptLock(kind, asHandle(result));
      });
      this.lock = lock;
      lock.catch(() => {
        if (this.lock === lock) this.lock = undefined; // a failure is not remembered
      });
    }
    return this.lock;
  }
}

/** Python's (block, timeout) arguments: `[]` (wait), `[false]` (do not wait), `[true, seconds]`. A non-number timeout goes as is, for Python to refuse. */
function waitArgs(options: QueueWait | undefined): unknown[] {
  const timeout = options?.timeout;
  if (options?.block === false) return [false];
  return timeout === undefined ? [] : [true, typeof timeout === 'number' ? timeout / 1000 : timeout];
}

/**
 * A Queue living in the agent. Its puts run in order on one thread there, a get that may wait on a
 * thread of its own (agent-protocol.md): a waiting get holds up nothing else, as in a program
 * whose consumer is a thread. CPython's put hands the item to the queue's feeder thread and returns.
 */
class CPythonQueue extends SharedObject implements QueueHandle {
  constructor(
    readonly kind: 'Queue' | 'JoinableQueue',
    agent: Agent,
    handle: number,
  ) {
    super(agent, handle);
  }

  /** An UNSENDABLE item goes as the local function: CPython's put accepts it, and its feeder thread drops it. */
  put(item: Json, options?: QueueWait): Promise<void> {
    return this.call('put', [item, ...waitArgs(options)]).then(asVoid);
  }
  get(options?: QueueWait): Promise<Json> {
    return this.call('get', waitArgs(options));
  }
  qsize(): Promise<number> {
    return this.call('qsize').then(asNumber);
  }
  empty(): Promise<boolean> {
    return this.call('empty').then(asBoolean);
  }
  full(): Promise<boolean> {
    return this.call('full').then(asBoolean);
  }
  close(): Promise<void> {
    return this.call('close').then(asVoid);
  }
}

/** A JoinableQueue: a Queue with task_done() and join(). */
class CPythonJoinableQueue extends CPythonQueue {
  taskDone(): Promise<void> {
    return this.call('task_done').then(asVoid);
  }
  /**
   * Python's join() has no timeout: it waits in the agent, on a thread of its own, and with a
   * timeout this resolves when the time is up, leaving that thread waiting (the kit's budget).
   */
  join(options?: { timeout?: number }): Promise<void> {
    const joined = this.call('join').then(asVoid);
    const timeout = options?.timeout;
    if (timeout === undefined) return joined;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, Math.max(0, Number(timeout) || 0));
      joined.then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error as Error);
        },
      );
    });
  }
}

/**
 * One end of a Pipe living in the agent: its sends run in order on one thread there, its recv and
 * poll calls in order on another, so a waiting recv never holds up a send through the same end.
 */
class CPythonConnection extends SharedObject implements ConnectionHandle {
  readonly kind = 'Connection';

  /** An UNSENDABLE item goes as the local function, which send() fails to pickle (ERR_MP_NOT_SENDABLE). */
  send(item: Json): Promise<void> {
    return this.call('send', [item]).then(asVoid);
  }
  recv(): Promise<Json> {
    return this.call('recv');
  }
  /** Python's poll(seconds); no timeout: poll() (does not wait). A non-number goes as is, for Python to refuse. */
  poll(timeout?: number): Promise<boolean> {
    return this.call('poll', timeout === undefined ? [] : [typeof timeout === 'number' ? timeout / 1000 : timeout]).then(asBoolean);
  }
  close(): Promise<void> {
    return this.call('close').then(asVoid);
  }
}

function keep(handle: object): void {
  void handle;
}

/** JSON writes an integral number as an int; a C int Value gets -0 as 0 (Python's -0.0 is a float, which c_int refuses). */
function wireNumber(typecode: ValueTypecode, value: number): number {
  return typecode === 'i' && Object.is(value, -0) ? 0 : value;
}

const createAdapter: CreateAdapter = async (options) => {
  const method = options.variant ?? options.startMethod ?? 'fork'; // CPython's default on Linux
  const settings = options.settings ?? {};
  const unknown = Object.keys(settings).filter((key) => !SETTINGS.includes(key));
  if (unknown.length > 0) throw agentError('cpython', `unknown setting(s) ${unknown.join(', ')} (known: ${SETTINGS.join(', ')})`);
  if (!CAPABILITIES[method]) {
    throw agentError('cpython', `unknown start method ${JSON.stringify(method)} (expected ${Object.keys(CAPABILITIES).join(', ')})`);
  }
  const python = settings.python ?? process.env.KIT_PYTHON ?? DEFAULT_PYTHON;
  const module = settings.module ?? process.env.KIT_PYTHON_MODULE ?? DEFAULT_MODULE;
  const agent = await Agent.start(`python ${python} ${module} ${method}`, { python, module, startMethod: method });
  const { info } = agent;
  const name = nameOf(info, method);
  agent.name = name;
  const version = info.moduleVersion ? ` ${info.moduleVersion}` : '';
  const description = `${info.implementation} ${info.python}, ${info.module}${version}${info.startMethod === null ? '' : `, ${info.startMethod}`}`;

  // The shared objects this module can make: the members and capabilities exist exactly for those.
  const makers = new Set<string>(Array.isArray(info.shared) ? info.shared : []);
  const has = (maker: SharedMaker): boolean => makers.has(maker);
  // This adapter's shared handles and their agent handle ids, sent as {"$shared": id} among args.
  const sharedIds = new WeakMap<object, number>();
  const sharedId = (handle: object): number | undefined => sharedIds.get(handle);
  function adoptShared<T extends object>(handle: T, id: number): T {
    sharedIds.set(handle, id);
    return agent.adopt(handle, id);
  }
  const adoptLock = (kind: 'Lock' | 'RLock', id: number): LockHandle => adoptShared(new CPythonLock(kind, agent, id), id);
  const makeLock = (kind: 'Lock' | 'RLock') => async (): Promise<LockHandle> =>
    adoptLock(kind, asHandle(await agent.request('shared', { maker: kind })));
  async function makeValue(typecode: ValueTypecode, initial: number, valueOptions?: { lock?: boolean }): Promise<ValueHandle> {
    // lock is passed only when given: Python's own default (True) applies otherwise.
    const kwargs = valueOptions?.lock === undefined ? {} : { lock: valueOptions.lock };
    const created = await agent.request('shared', { maker: 'Value', args: [typecode, wireNumber(typecode, initial)], kwargs });
    const id = asHandle(created);
    return adoptShared(new CPythonValue(agent, id, typecode, adoptLock), id);
  }
  // maxsize and duplex are passed only when given: Python's own defaults (0: unbounded; duplex) apply otherwise.
  const makeQueue =
    (kind: 'Queue' | 'JoinableQueue') =>
    async (maxsize?: number): Promise<QueueHandle> => {
      const id = asHandle(await agent.request('shared', { maker: kind, args: maxsize === undefined ? [] : [maxsize] }));
      return adoptShared(kind === 'Queue' ? new CPythonQueue(kind, agent, id) : new CPythonJoinableQueue(kind, agent, id), id);
    };
  async function makePipe(duplex?: boolean): Promise<[ConnectionHandle, ConnectionHandle]> {
    const ids = asHandlePair(await agent.request('shared', { maker: 'Pipe', args: duplex === undefined ? [] : [duplex] }));
    return [adoptShared(new CPythonConnection(agent, ids[0]), ids[0]), adoptShared(new CPythonConnection(agent, ids[1]), ids[1])];
  }

  const adapter: Adapter = {
    contractVersion: CONTRACT_VERSION,
    name,
    description,
    capabilities: new Set([...(info.startMethod === null ? [] : CAPABILITIES[method]), ...SHARED_MAKERS.filter(has)]),
    async Process(processOptions: ProcessOptions): Promise<ProcessHandle> {
      // name, daemon and unknown options travel together: all become constructor keywords.
      const { target, subclass, args, kwargs, ...constructorOptions } = processOptions;
      let wire: Record<string, unknown>;
      try {
        wire = {
          target: toWire(target),
          subclass,
          args: toWire(args ?? [], sharedId),
          kwargs: toWire(kwargs ?? {}, sharedId),
          options: toWire(constructorOptions),
        };
      } catch (error) {
        throw agentError(name, (error as Error).message);
      }
      const created = await agent.request('create', wire);
      const handle = (created as { handle?: unknown } | null)?.handle;
      if (typeof handle !== 'number') throw agentError(name, `create returned ${JSON.stringify(created)}`);
      return agent.adopt(new CPythonProcess(agent, handle), handle);
    },
    currentProcess: () => agent.request('current_process').then(asInfo),
    activeChildren: () =>
      agent.request('active_children').then((value) => {
        if (!Array.isArray(value)) throw agentError(name, `active_children returned ${JSON.stringify(value)}`);
        return value.map(asInfo);
      }),
    callInParent: (task, args = []) => agent.request('call_in_parent', { task, args }),
    program(program: string, args: readonly string[] = []): ProgramCommand {
      return {
        file: python,
        args: [path.join(PROGRAMS_DIR, `${program}.py`), ...args],
        env: { KIT_START_METHOD: method, KIT_PYTHON_MODULE: module },
      };
    },
    ...(has('Lock') && { Lock: makeLock('Lock') }),
    ...(has('RLock') && { RLock: makeLock('RLock') }),
    ...(has('Value') && { Value: makeValue }),
    ...(has('Queue') && { Queue: makeQueue('Queue') }),
    ...(has('JoinableQueue') && { JoinableQueue: makeQueue('JoinableQueue') }),
    ...(has('Pipe') && { Pipe: makePipe }),
    close: () => agent.close(),
  };
  return adapter;
};

export default createAdapter;
