/**
 * The kit's adapter for ./process.ts, a Process on child_process.fork. It uses only what the
 * contract (spec/adapter.ts) offers an adapter outside this repository: the compiled fixtures in
 * FIXTURES_DIR, reached through FIXTURE_RUNTIME_ENV, which names this implementation's module.
 */
import * as path from 'node:path';
import {
  CONTRACT_VERSION,
  FIXTURES_DIR,
  FIXTURE_RUNTIME_ENV,
  UNSENDABLE,
  UNSENDABLE_NAME,
  type Adapter,
  type Arg,
  type CreateAdapter,
  type Json,
  type ProcessHandle,
} from '../../../spec/adapter';
import type * as Implementation from './process';

type Process = Implementation.Process;

/** Children run JavaScript: the implementation is loaded from its compiled copy, even when this file runs as TypeScript. */
const COMPILED = __filename.endsWith('.ts') ? path.resolve(__dirname, '../../../dist/examples/adapters/fork-wrapper') : __dirname;
const IMPLEMENTATION = path.join(COMPILED, 'process.js');
const TASKS = path.join(FIXTURES_DIR, 'ts', 'tasks.js');

const rejection = (code: string, message: string): Error => Object.assign(new Error(message), { code });

/** A closure named UNSENDABLE_NAME: a function no module exports, so it cannot be sent. */
function unsendable(): unknown {
  const captured = Date.now();
  return { [UNSENDABLE_NAME]: () => captured }[UNSENDABLE_NAME];
}

const value = (arg: Arg): unknown => (arg === UNSENDABLE ? unsendable() : arg);

function handleOf(p: Process): ProcessHandle {
  return {
    start: async () => p.start(),
    run: async () => {
      await p.run();
    },
    join: async (options) => p.join(options),
    isAlive: async () => p.isAlive(),
    terminate: async () => p.terminate(),
    kill: async () => p.kill(),
    close: async () => p.close(),
    pid: async () => p.pid,
    exitCode: async () => p.exitCode,
    name: async () => p.name,
    daemon: async () => p.daemon,
    setDaemon: async (daemon) => {
      p.daemon = daemon;
    },
  };
}

const createAdapter: CreateAdapter = async ({ variant, settings = {} }) => {
  if (variant !== undefined || Object.keys(settings).length > 0)
    throw new Error(`the fork-wrapper adapter has no variants or settings (got ${JSON.stringify({ variant, settings })})`);
  // Before the fixtures load: they reach the implementation through it, and children inherit it.
  process.env[FIXTURE_RUNTIME_ENV] = IMPLEMENTATION;
  /* eslint-disable @typescript-eslint/no-require-imports -- compiled code, found at run time */
  const implementation = require(IMPLEMENTATION) as typeof Implementation;
  const tasks = require(TASKS) as Record<string, unknown>;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const created: Process[] = [];

  const construct = (options: Parameters<Adapter['Process']>[0]): Process => {
    const { target, subclass, args, kwargs, ...rest } = options;
    // Anything but an array goes to the implementation as it is, for it to refuse.
    const values = Array.isArray(args) ? args.map(value) : args;
    if (subclass !== undefined) {
      const Subclass = tasks[subclass];
      if (typeof Subclass !== 'function' || !(Subclass.prototype instanceof implementation.Process))
        throw rejection('ERR_MP_UNKNOWN_TASK', `no Process subclass '${subclass}' in ${TASKS}`);
      const p = new (Subclass as new (...a: unknown[]) => Process)(...(values as unknown[]));
      if (rest.name !== undefined) p.name = rest.name;
      if (rest.daemon !== undefined) p.daemon = rest.daemon;
      return p;
    }
    if (typeof target === 'string' && typeof tasks[target] !== 'function')
      throw rejection('ERR_MP_UNKNOWN_TASK', `no task '${target}' in ${TASKS}`);
    const fn = target === undefined ? undefined : target === UNSENDABLE ? unsendable() : tasks[target];
    const isMapping = typeof kwargs === 'object' && kwargs !== null && !Array.isArray(kwargs);
    const kw =
      kwargs === undefined
        ? {}
        : { kwargs: isMapping ? Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [k, value(v)])) : kwargs };
    return new implementation.Process({ ...rest, ...kw, args: values, target: fn } as Implementation.ProcessOptions);
  };

  return {
    contractVersion: CONTRACT_VERSION,
    name: 'fork-wrapper',
    description: `examples/adapters/fork-wrapper: a Process on child_process.fork, Node ${process.version}`,
    capabilities: new Set(['serializes-arguments', 'refuses-unsendable'] as const),
    Process: async (options) => {
      const p = construct(options);
      created.push(p);
      return handleOf(p);
    },
    currentProcess: async () => {
      const me = implementation.currentProcess();
      return { pid: me.pid, name: me.name };
    },
    activeChildren: async () => implementation.activeChildren().map((p) => ({ pid: p.pid, name: p.name })),
    callInParent: async (task, args = []) => {
      const fn = tasks[task];
      if (typeof fn !== 'function') throw rejection('ERR_MP_UNKNOWN_TASK', `no task '${task}' in ${TASKS}`);
      return (fn as (...a: readonly Json[]) => Json)(...args);
    },
    program: (name, args = []) => ({
      file: process.execPath,
      args: [path.join(FIXTURES_DIR, 'ts', 'programs', `${name}.js`), ...args],
      env: { [FIXTURE_RUNTIME_ENV]: IMPLEMENTATION },
    }),
    close: async () => {
      // Whatever a failed test left running ends here.
      const running = created.filter((p) => {
        try {
          return p.isAlive();
        } catch {
          return false; // closed
        }
      });
      for (const p of running) p.kill();
      await Promise.all(running.map((p) => p.join()));
      created.length = 0;
    },
  };
};

export default createAdapter;
