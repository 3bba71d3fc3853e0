/** The Process class and the process-wide bookkeeping around it (CPython's process.py). */
import { errors } from './errors';
import { withTransfers } from './connection';
import { Popen } from './popen-spawn';
import { encodeStart, loadTask, type StartMessage, type TaskRef } from './reduction';
import { checkJoinOptions, checkOptions, exitCodeName, type JoinOptions, type ProcessOptions, type Task } from './options';

export type { JoinOptions, ProcessOptions, Task } from './options';

export interface ParentProcess {
  readonly pid: number;
  readonly name: string;
  /** False once the parent has died: its IPC channel is gone, or this process has been adopted by another. */
  isAlive(): boolean;
}

interface State {
  name: string;
  daemon: boolean;
  identity: readonly number[];
  target: Task | TaskRef | null;
  args: readonly unknown[];
  kwargs: Record<string, unknown> | null;
  parentPid: number | null;
  popen: Popen | null;
  closed: boolean;
  /** This object is the process we are running in (MainProcess, or a child's own object). */
  isCurrent: boolean;
}

type InternalInit = Pick<State, 'identity' | 'parentPid'>;

// Process-wide state, as CPython's _current_process, _parent_process, _children, _process_counter.
let current: Process | undefined; // created lazily as MainProcess, or set by becomeChild()
let parent: ParentProcess | null = null;
let counter = 0;
const children = new Set<Process>();
let bootstrapping = false; // true while a child loads the modules of its target
let pendingInit: InternalInit | undefined; // hands internal identity to the constructor
let hooksInstalled = false;
let stateOf!: (p: Process) => State;

export class Process {
  // All of Process's own state is private: a subclass's own enumerable properties are its state,
  // and those alone are sent to the child.
  readonly #s: State;

  static {
    stateOf = (p) => p.#s;
  }

  constructor(options: ProcessOptions = {}) {
    const init = pendingInit;
    pendingInit = undefined;
    const o = checkOptions(options);
    // CPython counts every Process, named or not, and prefixes the identity of the creator. The
    // default name is the class's own: `Process-3`, or `MyProcess-3` for a subclass.
    const identity = init?.identity ?? [...currentIdentity(), ++counter];
    this.#s = {
      name: o.name || `${new.target.name || 'Process'}-${identity.join(':')}`,
      daemon: o.daemon ?? (current ? stateOf(current).daemon : false),
      identity,
      target: o.target ?? null,
      args: o.args ? o.args.slice() : [],
      kwargs: o.kwargs ?? null,
      parentPid: init ? init.parentPid : process.pid,
      popen: null,
      closed: false,
      isCurrent: init !== undefined,
    };
  }

  /** What the child executes. Subclasses override it; the default calls the target. */
  run(): unknown {
    const { target, args, kwargs, name } = this.#s;
    if (target === null) return undefined;
    const fn = typeof target === 'function' ? target : loadTask(target, name);
    return Reflect.apply(fn, undefined, kwargs === null ? args : [...args, kwargs]);
  }

  /** Starts the child and returns at once; every check throws before anything is spawned. */
  start(): void {
    const s = this.#live();
    if (s.popen !== null || s.isCurrent) throw errors.startTwice(s.name);
    if (current && stateOf(current).daemon) throw errors.daemonChildren(s.name);
    if (bootstrapping) throw errors.bootstrapping(s.name);
    const cls = this.constructor as abstract new (...args: never[]) => unknown;
    const { result: message, release } = withTransfers(() =>
      encodeStart({
        target: s.target,
        subclass: cls === Process ? null : cls,
        instance: this,
        args: s.args,
        kwargs: s.kwargs,
        name: s.name,
        daemon: s.daemon,
        identity: s.identity,
        parent: { pid: process.pid, name: currentProcess().name },
      }),
    );
    // The shared objects among the arguments stay alive until the child has ended: if the parent
    // let go of them first, their memory could be freed before the child attached it.
    const passed = s.args;
    const passedKwargs = s.kwargs;
    s.popen = new Popen(message, () => {
      children.delete(this);
      release(); // a pipe end the child never attached is not held for it any more
      void [passed, passedKwargs];
    });
    children.add(this);
    // The child has its own copy now; CPython drops them too (`del self._target, ...`).
    s.target = null;
    s.args = [];
    s.kwargs = null;
    installExitHooks();
  }

  /**
   * Resolves when the child has exited, or after `timeout` ms; rejects with AbortError on abort.
   * Misuse (not started, closed, bad options) rejects too: a Promise-returning method never throws.
   */
  async join(options: JoinOptions = {}): Promise<void> {
    const s = this.#live();
    if (s.popen === null) throw errors.joinBeforeStart(s.name);
    const { timeout, signal } = checkJoinOptions(options, s.name);
    await s.popen.wait(timeout, signal);
  }

  isAlive(): boolean {
    const s = this.#live();
    if (s.isCurrent) return true;
    return s.popen !== null && s.popen.poll() === null;
  }

  /** SIGTERM; nothing happens if the child has already exited (as in CPython). */
  terminate(): void {
    const s = this.#live();
    if (s.popen === null) throw errors.signalBeforeStart(s.name, 'terminate');
    s.popen.terminate();
  }

  /** SIGKILL; nothing happens if the child has already exited. */
  kill(): void {
    const s = this.#live();
    if (s.popen === null) throw errors.signalBeforeStart(s.name, 'kill');
    s.popen.kill();
  }

  /** Releases the handle of an ended (or never started) process; a second close() is a no-op. */
  close(): void {
    const s = this.#s;
    if (s.closed) return;
    if (s.popen !== null) {
      if (s.popen.poll() === null) throw errors.stillRunning(s.name);
      s.popen.close();
      s.popen = null;
    }
    children.delete(this);
    s.closed = true;
  }

  get pid(): number | null {
    const s = this.#live();
    return s.isCurrent ? process.pid : (s.popen?.pid ?? null);
  }

  /** CPython's `ident`, an alias of pid. */
  get ident(): number | null {
    return this.pid;
  }

  get exitCode(): number | null {
    return this.#live().popen?.poll() ?? null;
  }

  get name(): string {
    return this.#s.name;
  }

  set name(value: string) {
    if (typeof value !== 'string') throw errors.invalidValue(`${this.#s.name}:`, 'name', 'a string', value);
    this.#s.name = value;
  }

  get daemon(): boolean {
    return this.#s.daemon;
  }

  set daemon(value: boolean) {
    const s = this.#s;
    if (s.popen !== null) throw errors.daemonAfterStart(s.name);
    if (typeof value !== 'boolean') throw errors.invalidValue(`${s.name}:`, 'daemon', 'a boolean', value);
    s.daemon = value;
  }

  /** CPython's repr: <Process name='Process-1' pid=123 parent=100 stopped exitcode=-SIGTERM daemon>. */
  toString(): string {
    const s = this.#s;
    let exitCode: number | null = null;
    let status: string;
    if (s.isCurrent) status = 'started';
    else if (s.closed) status = 'closed';
    else if (s.popen === null) status = 'initial';
    else {
      exitCode = s.popen.poll();
      status = exitCode === null ? 'started' : 'stopped';
    }
    const info = [this.constructor.name, `name='${s.name}'`];
    if (s.popen !== null) info.push(`pid=${s.popen.pid}`);
    info.push(`parent=${s.parentPid ?? 'None'}`, status);
    if (exitCode !== null) info.push(`exitcode=${exitCodeName(exitCode)}`);
    if (s.daemon) info.push('daemon');
    return `<${info.join(' ')}>`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  #live(): State {
    if (this.#s.closed) throw errors.closed(this.#s.name);
    return this.#s;
  }
}

/** The process this code runs in: MainProcess in the main program, the child's own object in a child. */
export function currentProcess(): Process {
  if (current === undefined) {
    pendingInit = { identity: [], parentPid: null };
    current = new Process({ name: 'MainProcess' });
  }
  return current;
}

/** The parent of this child, or null in the main program. */
export function parentProcess(): ParentProcess | null {
  return parent;
}

/** Children started by this process that have not ended yet. */
export function activeChildren(): Process[] {
  return [...children];
}

/** CPython's util._exit_function: SIGTERM the daemonic children, then wait for every child. */
export function joinChildrenAtExit(): Promise<void> {
  const live = [...children];
  for (const p of live) if (p.daemon) p.terminate();
  return Promise.all(live.map((p) => p.join())).then(() => undefined);
}

/**
 * Makes this (child) process the one `message` describes: its identity, its parent, then its
 * Process object, rebuilt without running the subclass's constructor (as unpickling does).
 */
export function becomeChild(message: StartMessage): Process {
  const { name, daemon, identity, args, kwargs } = message;
  const pid = message.parent.pid;
  // The channel reads as closed only once the event loop has read its end of file, which a task busy
  // in synchronous code never lets it do; the OS parent changes at the death itself (the orphan is
  // adopted), so it is read too, as CPython's is_alive() polls its sentinel each time.
  const osParent = process.ppid;
  parent = Object.freeze({ pid, name: message.parent.name, isAlive: () => process.connected === true && process.ppid === osParent });
  const build = (cls: abstract new (...args: never[]) => unknown, target: Task | TaskRef | undefined): Process => {
    pendingInit = { identity, parentPid: pid };
    const options = { name, daemon, target, args, ...(kwargs === null ? {} : { kwargs }) };
    return Reflect.construct(Process, [options], cls) as Process;
  };
  // A first object so that currentProcess() already has this child's name while its modules load.
  current = build(Process, message.target ?? undefined);
  bootstrapping = true;
  try {
    const target = message.target && loadTask(message.target, name);
    const cls = message.subclass ? (loadTask(message.subclass, name, 'class') as unknown as typeof Process) : Process;
    current = Object.assign(build(cls, target ?? undefined), message.state);
  } finally {
    bootstrapping = false;
  }
  return current;
}

function currentIdentity(): readonly number[] {
  return current ? stateOf(current).identity : [];
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'beforeExit' fires when the program's own work is done: CPython's atexit moment. Children's
  // handles are unref'd, so daemonic ones get SIGTERM first and only then is everyone joined.
  process.on('beforeExit', () => {
    if (children.size > 0) void joinChildrenAtExit();
  });
  // An uncaught error is about to end the program (nobody else handles it): its daemonic children
  // go now, before Node prints the error, so they end as promptly as after a normal end.
  process.on('uncaughtExceptionMonitor', () => {
    if (process.listenerCount('uncaughtException') === 0) for (const p of children) if (p.daemon) p.terminate();
  });
  // process.exit() and an uncaught error skip 'beforeExit', and nothing asynchronous runs any more.
  // CPython's exit handling still runs then (sys.exit, an exception in the main code), so this
  // does what 'beforeExit' would have: SIGTERM the daemonic children, then wait for every child,
  // blocking, the only way left (popen-spawn.ts waitSync).
  process.on('exit', () => {
    const live = [...children];
    for (const p of live) if (p.daemon) p.terminate();
    for (const p of live) stateOf(p).popen?.waitSync();
  });
}
