/**
 * The kit's adapter for node:worker_threads as the "processes": each Process is one Worker that
 * runs one fixture task (./thread.ts) and ends with it.
 *
 * What comes from worker_threads: the thread, its run of the task, its exit code, terminate() as
 * worker.terminate(), and the copy of the task's arguments (workerData, a structured clone made
 * at start(), which refuses a function). What the adapter does itself: the handle's lifecycle
 * bookkeeping (started, closed), which worker_threads has no object for, and the lookup of the
 * task's name in the fixture module. What it does not invent: a pid of the thread's own (it
 * reports the process's, which is the parent's), names, daemon flags, kill(), run() in the caller
 * and Process subclasses (ERR_MP_MISSING_MEMBER).
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  CONTRACT_VERSION,
  FIXTURES_DIR,
  FIXTURE_RUNTIME_ENV,
  UNSENDABLE,
  UNSENDABLE_NAME,
  type Arg,
  type CreateAdapter,
  type Json,
  type ProcessHandle,
} from '../../../spec/adapter';
import type * as Runtime from './runtime';

const COMPILED = __filename.endsWith('.ts') ? path.resolve(__dirname, '../../../dist/examples/adapters/worker-threads') : __dirname;
const RUNTIME = path.join(COMPILED, 'runtime.js');
const THREAD = path.join(COMPILED, 'thread.js');
const TASKS = path.join(FIXTURES_DIR, 'ts', 'tasks.js');

interface ThreadData {
  tasks: string;
  task: unknown;
  args: unknown;
}

const rejection = (code: string, message: string): Error => Object.assign(new Error(message), { code });
const missing = (message: string): Error => rejection('ERR_MP_MISSING_MEMBER', message);
const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A closure named UNSENDABLE_NAME: structured clone refuses functions. */
function unsendable(): unknown {
  const captured = Date.now();
  return { [UNSENDABLE_NAME]: () => captured }[UNSENDABLE_NAME];
}

const value = (arg: Arg): unknown => (arg === UNSENDABLE ? unsendable() : arg);

/** Where the first function in `v` is, and its name: what a DataCloneError does not say. */
function firstFunction(v: unknown, where: string): string | null {
  if (typeof v === 'function') return `${where} (a function, ${v.name || 'anonymous'})`;
  if (typeof v !== 'object' || v === null) return null;
  for (const [key, item] of Object.entries(v)) {
    const found = firstFunction(item, Array.isArray(v) ? `${where}[${key}]` : `${where}.${key}`);
    if (found) return found;
  }
  return null;
}

function untilOrAfter(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))))]).finally(() =>
    clearTimeout(timer),
  );
}

/** One Process: one Worker, one task. */
class ThreadProcess implements ProcessHandle {
  #worker: Worker | null = null;
  #exited: Promise<void> = Promise.resolve();
  #exitCode: number | null = null;
  #closed = false;

  constructor(private readonly data: ThreadData) {}

  async start(): Promise<void> {
    this.#live();
    if (this.#worker) throw rejection('ERR_MP_ALREADY_STARTED', 'cannot start a process twice: this handle has run its Worker');
    try {
      structuredClone(this.data); // what new Worker() does with workerData, before any thread exists
    } catch (error) {
      const where = firstFunction(this.data.task, 'the target') ?? firstFunction(this.data.args, 'args') ?? 'workerData';
      throw rejection('ERR_MP_NOT_SENDABLE', `${where} cannot be sent to the Worker: ${(error as Error).message}`);
    }
    // env: the environment as this thread sees it now (under Jest, the test's own copy).
    const worker = new Worker(THREAD, { workerData: this.data, env: process.env });
    this.#worker = worker;
    worker.on('error', () => {
      // An error the task threw: the thread exits with code 1, which 'exit' reports.
    });
    this.#exited = new Promise((resolve) =>
      worker.once('exit', (code) => {
        this.#exitCode = code;
        resolve();
      }),
    );
  }

  async run(): Promise<void> {
    throw missing('worker_threads has no run() to call in the caller: a Worker runs a script');
  }

  async join(options?: { timeout?: number }): Promise<void> {
    this.#live();
    if (!this.#worker) throw rejection('ERR_MP_NOT_STARTED', 'can only join a started process');
    await (options?.timeout === undefined ? this.#exited : untilOrAfter(this.#exited, options.timeout));
  }

  async isAlive(): Promise<boolean> {
    this.#live();
    return this.running;
  }

  async terminate(): Promise<void> {
    this.#live();
    if (!this.#worker) throw rejection('ERR_MP_NOT_STARTED', 'cannot terminate a process that was not started');
    if (this.#exitCode === null) void this.#worker.terminate(); // stops the thread's JavaScript as soon as it can: exit code 1
  }

  async kill(): Promise<void> {
    throw missing('worker_threads has no kill(): a thread cannot be sent a signal, and worker.terminate() is its only way to stop');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.running) throw rejection('ERR_MP_STILL_RUNNING', 'cannot close a process while it is still running');
    this.#closed = true;
  }

  async pid(): Promise<number | null> {
    this.#live();
    // A thread has no pid of its own: process.pid, in the thread as here, is the process's.
    return this.#worker ? process.pid : null;
  }

  async exitCode(): Promise<number | null> {
    this.#live();
    return this.#exitCode;
  }

  async name(): Promise<string> {
    throw missing('worker_threads has no thread names');
  }

  async daemon(): Promise<boolean> {
    throw missing('worker_threads has no daemon flag');
  }

  async setDaemon(): Promise<void> {
    throw missing('worker_threads has no daemon flag');
  }

  get running(): boolean {
    return this.#worker !== null && this.#exitCode === null;
  }

  /** Ends the thread whatever it is doing (adapter close()). */
  async stop(): Promise<void> {
    if (!this.running) return;
    await this.#worker?.terminate();
    await this.#exited;
  }

  #live(): void {
    if (this.#closed) throw rejection('ERR_MP_CLOSED', 'process object is closed');
  }
}

const createAdapter: CreateAdapter = async ({ variant, settings = {} }) => {
  if (variant !== undefined || Object.keys(settings).length > 0)
    throw new Error(`the worker-threads adapter has no variants or settings (got ${JSON.stringify({ variant, settings })})`);
  process.env[FIXTURE_RUNTIME_ENV] = RUNTIME;
  /* eslint-disable @typescript-eslint/no-require-imports -- compiled code, found at run time */
  const runtime = require(RUNTIME) as typeof Runtime;
  const tasks = require(TASKS) as Record<string, unknown>;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const created: ThreadProcess[] = [];

  return {
    contractVersion: CONTRACT_VERSION,
    name: 'worker-threads',
    description: `examples/adapters/worker-threads: node:worker_threads, one Worker per Process, Node ${process.version}`,
    // workerData is a structured clone made when the Worker is created, which refuses functions.
    capabilities: new Set(['serializes-arguments', 'refuses-unsendable']),
    Process: async ({ target, subclass, args, kwargs, group, ...rest }) => {
      if (subclass !== undefined) throw missing(`worker_threads cannot run the Process subclass ${subclass}: a Worker runs a script`);
      if ('name' in rest) throw missing('worker_threads has no thread names (option name)');
      if ('daemon' in rest) throw missing('worker_threads has no daemon flag (option daemon)');
      const unknown = Object.keys(rest)[0] ?? (group === undefined || group === null ? undefined : 'group');
      if (unknown !== undefined)
        throw rejection('ERR_MP_INVALID_OPTION', `unknown option '${unknown}' (this adapter takes target, args, kwargs)`);
      if (!Array.isArray(args)) throw rejection('ERR_MP_INVALID_OPTION', `args must be an array, got ${String(args)}`);
      if (kwargs !== undefined && !isMapping(kwargs)) throw rejection('ERR_MP_INVALID_OPTION', 'kwargs must be a plain object');
      if (typeof target === 'string' && typeof tasks[target] !== 'function')
        throw rejection('ERR_MP_UNKNOWN_TASK', `no task '${target}' in ${TASKS}`);
      const values = args.map(value);
      // Keyword arguments go as one last argument, as the fixtures expect.
      const all = kwargs === undefined ? values : [...values, Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [k, value(v)]))];
      const task = target === undefined ? null : target === UNSENDABLE ? unsendable() : target;
      const handle = new ThreadProcess({ tasks: TASKS, task, args: all });
      created.push(handle);
      return handle;
    },
    currentProcess: async () => runtime.currentProcess(),
    activeChildren: async () => created.filter((h) => h.running).map(() => ({ pid: process.pid, name: runtime.NO_NAME })),
    callInParent: async (task, args = []) => {
      const fn = tasks[task];
      if (typeof fn !== 'function') throw rejection('ERR_MP_UNKNOWN_TASK', `no task '${task}' in ${TASKS}`);
      return (fn as (...a: readonly Json[]) => Json)(...args);
    },
    program: (name, args = []) => ({
      file: process.execPath,
      args: [path.join(FIXTURES_DIR, 'ts', 'programs', `${name}.js`), ...args],
      env: { [FIXTURE_RUNTIME_ENV]: RUNTIME },
    }),
    close: async () => {
      await Promise.all(created.map((h) => h.stop()));
      created.length = 0;
    },
  };
};

export default createAdapter;
