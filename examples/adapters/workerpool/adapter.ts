/**
 * The kit's adapter for workerpool (npm), with process workers: each Process is a pool of its own
 * (workerType 'process', maxWorkers 1) that runs one fixture task and is then terminated, so one
 * handle is one OS process that ends with its task.
 *
 * What comes from workerpool: the worker process, the task's run and outcome, terminate() as
 * pool.terminate(true). What is read from its internals, because workerpool does not expose it:
 * the worker's ChildProcess (Pool.workers[0].worker), for the pid and the exit status. What the
 * adapter does itself: the handle's lifecycle bookkeeping (started, closed) that workerpool has no
 * object for, and the mapping of a task's outcome to CPython's exit codes (returned: 0, threw: 1),
 * because a worker outlives a failed task. What it does not invent: names, daemon flags, kill(),
 * run() in the caller and Process subclasses, which workerpool lacks (ERR_MP_MISSING_MEMBER).
 */
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import * as path from 'node:path';
import * as workerpool from 'workerpool';
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

const COMPILED = __filename.endsWith('.ts') ? path.resolve(__dirname, '../../../dist/examples/adapters/workerpool') : __dirname;
const RUNTIME = path.join(COMPILED, 'runtime.js');
const WORKER = path.join(COMPILED, 'worker.js');
const TASKS = path.join(FIXTURES_DIR, 'ts', 'tasks.js');

type Method = string | ((...args: unknown[]) => unknown);

const rejection = (code: string, message: string): Error => Object.assign(new Error(message), { code });
const missing = (message: string): Error => rejection('ERR_MP_MISSING_MEMBER', message);
const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A closure named UNSENDABLE_NAME. workerpool sends a function target as its source text, without what it captured. */
function unsendable(): (...args: unknown[]) => unknown {
  const captured = Date.now();
  return { [UNSENDABLE_NAME]: () => captured }[UNSENDABLE_NAME]!;
}

const value = (arg: Arg): unknown => (arg === UNSENDABLE ? unsendable() : arg);

/** Resolves when `promise` does, or after `ms`, whichever comes first, leaving no timer behind. */
function untilOrAfter(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))))]).finally(() =>
    clearTimeout(timer),
  );
}

/** One Process: one pool of one process worker, one task. */
class PoolProcess implements ProcessHandle {
  #pool: workerpool.Pool | null = null;
  #worker: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  #exitCode: number | null = null;
  /** What the task's own end gives, as CPython would: 0 when it returned, 1 when it threw. */
  #taskCode: number | null = null;
  #terminating = false;
  #closed = false;

  constructor(
    private readonly method: Method,
    private readonly params: unknown,
  ) {}

  async start(): Promise<void> {
    this.#live();
    if (this.#pool) throw rejection('ERR_MP_ALREADY_STARTED', 'cannot start a process twice: this handle has run its task on its pool');
    const pool = workerpool.pool(WORKER, { workerType: 'process', maxWorkers: 1, forkArgs: [TASKS], forkOpts: { env: process.env } });
    let task: PromiseLike<unknown>;
    try {
      task = pool.exec(this.method as string, this.params as unknown[]);
    } catch (error) {
      void pool.terminate(); // nothing was spawned: exec() checks its arguments first
      throw rejection('ERR_MP_INVALID_OPTION', `workerpool refused the arguments: ${(error as Error).message}`);
    }
    this.#pool = pool;
    // Internals: exec() has created the worker synchronously; its ChildProcess has the pid and the exit status.
    const worker = (pool as unknown as { workers: { worker: ChildProcess }[] }).workers[0]?.worker;
    if (!worker) throw new Error('workerpool internals changed: no Pool.workers[0].worker after exec()');
    this.#worker = worker;
    this.#exited = new Promise((resolve) =>
      worker.once('exit', (code, signal) => {
        // A task that ended by itself gives its own code; a worker that died first (exit(n), a signal, terminate()) gives its status.
        this.#exitCode = this.#taskCode ?? (signal ? -constants.signals[signal] : (code ?? 0));
        resolve();
      }),
    );
    Promise.resolve(task)
      .then(
        () => (this.#taskCode = 0),
        (error: unknown) => {
          if (!this.#terminating && !(error instanceof workerpool.TerminateError)) this.#taskCode = 1;
        },
      )
      .then(() => pool.terminate()) // the worker ends with its task
      .catch(() => undefined);
  }

  async run(): Promise<void> {
    throw missing('workerpool has no run(): a task runs in a worker only');
  }

  async join(options?: { timeout?: number }): Promise<void> {
    this.#live();
    if (!this.#pool) throw rejection('ERR_MP_NOT_STARTED', 'can only join a started process');
    await (options?.timeout === undefined ? this.#exited : untilOrAfter(this.#exited, options.timeout));
  }

  async isAlive(): Promise<boolean> {
    this.#live();
    return this.#pool !== null && this.#exitCode === null;
  }

  async terminate(): Promise<void> {
    this.#live();
    if (!this.#pool) throw rejection('ERR_MP_NOT_STARTED', 'cannot terminate a process that was not started');
    if (this.#exitCode !== null) return;
    this.#terminating = true;
    // Cooperative: the worker is sent a message to exit (code 0), and SIGTERM only after workerTerminateTimeout (1 s).
    this.#pool.terminate(true).catch(() => undefined);
  }

  async kill(): Promise<void> {
    throw missing(
      'workerpool has no kill(): pool.terminate(true) asks the worker to exit and sends SIGTERM after a timeout, never SIGKILL',
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#pool && this.#exitCode === null) throw rejection('ERR_MP_STILL_RUNNING', 'cannot close a process while it is still running');
    this.#closed = true;
  }

  async pid(): Promise<number | null> {
    this.#live();
    return this.#worker?.pid ?? null;
  }

  async exitCode(): Promise<number | null> {
    this.#live();
    return this.#exitCode;
  }

  async name(): Promise<string> {
    throw missing('workerpool has no process names');
  }

  async daemon(): Promise<boolean> {
    throw missing('workerpool has no daemon flag');
  }

  async setDaemon(): Promise<void> {
    throw missing('workerpool has no daemon flag');
  }

  /** Started and not known to have ended. */
  get running(): boolean {
    return this.#pool !== null && this.#exitCode === null;
  }

  /** Ends the worker whatever it is doing (adapter close()): workerpool's forced terminate, which falls back to SIGTERM. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.#terminating = true;
    this.#pool?.terminate(true).catch(() => undefined);
    await this.#exited;
  }

  #live(): void {
    if (this.#closed) throw rejection('ERR_MP_CLOSED', 'process object is closed');
  }
}

const createAdapter: CreateAdapter = async ({ variant, settings = {} }) => {
  if (variant !== undefined || Object.keys(settings).length > 0)
    throw new Error(`the workerpool adapter has no variants or settings (got ${JSON.stringify({ variant, settings })})`);
  process.env[FIXTURE_RUNTIME_ENV] = RUNTIME;
  /* eslint-disable @typescript-eslint/no-require-imports -- compiled code, found at run time */
  const runtime = require(RUNTIME) as typeof Runtime;
  const tasks = require(TASKS) as Record<string, unknown>;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const created: PoolProcess[] = [];

  return {
    contractVersion: CONTRACT_VERSION,
    name: 'workerpool',
    description: 'examples/adapters/workerpool: workerpool process workers, one pool of one worker per Process',
    // Neither flag: process workers send JSON, which turns a function into null (or drops it) instead of refusing it.
    capabilities: new Set(),
    Process: async ({ target, subclass, args, kwargs, group, ...rest }) => {
      if (subclass !== undefined)
        throw missing(
          `workerpool cannot run the Process subclass ${subclass}: a worker runs registered functions, never an object's run()`,
        );
      if ('name' in rest) throw missing('workerpool has no process names (option name)');
      if ('daemon' in rest) throw missing('workerpool has no daemon flag (option daemon)');
      const unknown = Object.keys(rest)[0] ?? (group === undefined || group === null ? undefined : 'group');
      if (unknown !== undefined)
        throw rejection(
          'ERR_MP_INVALID_OPTION',
          `option '${unknown}' has no counterpart in workerpool, whose exec() takes a method and its params`,
        );
      if (kwargs !== undefined && !isMapping(kwargs))
        throw rejection(
          'ERR_MP_INVALID_OPTION',
          'kwargs must be a plain object (workerpool has positional params only: it goes as the last one)',
        );
      const values = Array.isArray(args) ? args.map(value) : args;
      // workerpool has positional params only: keyword arguments go as one last argument, as the fixtures expect.
      const params =
        kwargs === undefined || !Array.isArray(values)
          ? values
          : [...values, Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [k, value(v)]))];
      // No target: workerpool's own way to run code that is not registered, a function sent as source text.
      const method: Method = target === undefined ? () => undefined : target === UNSENDABLE ? unsendable() : target;
      const handle = new PoolProcess(method, params);
      created.push(handle);
      return handle;
    },
    currentProcess: async () => runtime.currentProcess(),
    activeChildren: async () =>
      Promise.all(created.filter((h) => h.running).map(async (h) => ({ pid: await h.pid(), name: runtime.NO_NAME }))),
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
