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
  type CreateAdapter,
  type Json,
  type ProcessHandle,
  type ProcessInfo,
  type ProcessOptions,
  type ProgramCommand,
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
  spawn: ['serializes-arguments', 'refuses-unsendable', 'visible-zombies'],
  forkserver: ['serializes-arguments', 'refuses-unsendable', 'forked-by-server'],
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

/** UNSENDABLE becomes {"$unsendable": true}, anywhere in a value; everything else is plain JSON. */
function toWire(value: unknown): unknown {
  if (value === UNSENDABLE) return UNSENDABLE_WIRE;
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toWire(item)]));
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
const asVoid = (): void => undefined;
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

  const adapter: Adapter = {
    contractVersion: CONTRACT_VERSION,
    name,
    description,
    capabilities: new Set(info.startMethod === null ? [] : CAPABILITIES[method]),
    async Process(processOptions: ProcessOptions): Promise<ProcessHandle> {
      // name, daemon and unknown options travel together: all become constructor keywords.
      const { target, subclass, args, kwargs, ...constructorOptions } = processOptions;
      const created = await agent.request('create', {
        target: toWire(target),
        subclass,
        args: toWire(args ?? []),
        kwargs: toWire(kwargs ?? {}),
        options: toWire(constructorOptions),
      });
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
    close: () => agent.close(),
  };
  return adapter;
};

export default createAdapter;
