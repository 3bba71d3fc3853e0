/**
 * The child's side of our library, run inside this test process: src/bootstrap.ts (the entry point
 * of every child) with a stand-in for the child's `process`, and the child half of src/process.ts
 * (becomeChild, the join at exit). Specs see this code only through real children, where neither
 * a debugger nor coverage reaches it (so Stryker would call its mutants "no coverage"); here each
 * outcome of the entry point is checked directly: what it writes to stderr and how it exits.
 *
 * Every test loads the compiled library afresh (jest.resetModules), because becomeChild() turns
 * the library's process-wide state into a child's for good.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Bootstrap from '../../src/bootstrap';
import type * as Library from '../../src';
import type * as ProcessModule from '../../src/process';
import { Observations } from '../harness/observations';
import { DIST } from '../harness/paths';
import { descendants } from '../harness/proc';
import { startMessage } from './shared-object-probes';

const BOOTSTRAP = `${DIST}/src/bootstrap.js`;
const TASKS = `${DIST}/fixtures/ts/tasks.js`;
const PARENT = { pid: 4242, name: 'TheParent' };

interface Loaded {
  bootstrap: typeof Bootstrap;
  lib: typeof Library;
  internals: typeof ProcessModule;
}

/* eslint-disable @typescript-eslint/no-require-imports -- the compiled library, as children run it */
function load(): Loaded {
  return {
    bootstrap: require(BOOTSTRAP) as typeof Bootstrap,
    lib: require(`${DIST}/src/index.js`) as typeof Library,
    internals: require(`${DIST}/src/process.js`) as typeof ProcessModule,
  };
}
/* eslint-enable @typescript-eslint/no-require-imports */

interface Exit {
  code: number | undefined;
  stderr: string;
}

/** A child's `process` as far as the bootstrap uses it. A real exit ends everything; here the first one is what counts. */
class StandIn implements Bootstrap.ChildHost {
  readonly registered: { event: string; once: boolean }[] = [];
  readonly exits: Exit[] = [];
  readonly channel = { unrefs: 0, unref: () => this.channel.unrefs++ };
  readonly stderr = { write: (text: string) => this.#written.push(text) };
  readonly exited: Promise<Exit>;
  #written: string[] = [];
  #listeners = new Map<string, (value: unknown) => void>();
  #onExit!: (exit: Exit) => void;

  constructor() {
    this.exited = new Promise((resolve) => (this.#onExit = resolve));
  }

  on(event: string, listener: (value: unknown) => void): this {
    this.registered.push({ event, once: false });
    this.#listeners.set(event, listener);
    return this;
  }

  once(event: string, listener: (value: unknown) => void): this {
    this.registered.push({ event, once: true });
    this.#listeners.set(event, listener);
    return this;
  }

  exit(code?: number): never {
    const exit = { code, stderr: this.#written.join('') };
    this.exits.push(exit);
    if (this.exits.length === 1) this.#onExit(exit);
    return undefined as never;
  }

  emit(event: string, value: unknown): void {
    const listener = this.#listeners.get(event);
    if (!listener) throw new Error(`nothing listens to '${event}'`);
    listener(value);
  }
}

/** A start message as the parent sends it, from a parent of the test's own (PARENT) to a child named Kid. */
const childMessage = (fields: Record<string, unknown>): string =>
  startMessage({ args: [], name: 'Kid', identity: [7], parent: PARENT, ...fields });

const task = (name: string) => ({ module: TASKS, name });

/** Loads the library afresh, starts main() on a stand-in and hands it `message`. */
function runChild(message: unknown): { host: StandIn; loaded: Loaded } {
  const loaded = load();
  const host = new StandIn();
  loaded.bootstrap.main(host);
  host.emit('message', message);
  return { host, loaded };
}

let observations: Observations;
let tmp: string;
/** The library instance a test started real children with: its standby child is ended after the test. */
let lib: typeof Library | undefined;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'mp-kit-bootstrap-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

beforeEach(() => {
  jest.resetModules();
  observations = new Observations();
});

afterEach(async () => {
  await lib?.stopStandby();
  lib = undefined;
  expect(descendants(process.pid)).toEqual([]);
});

describe('the child entry point (src/bootstrap.ts)', () => {
  it('waits for one start message and does nothing before it', () => {
    const host = new StandIn();
    load().bootstrap.main(host);
    expect(host.registered).toEqual([{ event: 'message', once: true }]);
    expect(host.exits).toEqual([]);
    expect(host.channel.unrefs).toBe(0);
  });

  it('runs the target with its arguments and keyword arguments, then exits with no code', async () => {
    const { host } = runChild(childMessage({ target: task('recordArguments'), args: ['kw', 2, 'a', [null]], kwargs: { k: 'v' } }));
    expect(await host.exited).toEqual({ code: undefined, stderr: '' });
    expect(observations.of('arguments', 'kw')).toEqual([expect.objectContaining({ args: ['a', [null]], kwargs: { k: 'v' }, extra: [] })]);
    expect(host.exits).toHaveLength(1);
  });

  it('passes no keyword argument when the message has none (kwargs: null)', async () => {
    const { host } = runChild(childMessage({ target: task('recordArguments'), args: ['no-kw', 1, 'only'] }));
    expect(await host.exited).toEqual({ code: undefined, stderr: '' });
    expect(observations.of('arguments', 'no-kw')).toEqual([expect.objectContaining({ args: ['only'], kwargs: {}, extra: [] })]);
  });

  it('un-refs its IPC channel and ends the child on an uncaught error, once the message is read', async () => {
    const { host } = runChild(childMessage({ target: task('noop'), args: ['noop'] }));
    await host.exited;
    expect(host.channel.unrefs).toBe(1);
    expect(host.registered).toEqual([
      { event: 'message', once: true },
      { event: 'uncaughtException', once: false },
    ]);
  });

  it('a child without an IPC channel runs as well', async () => {
    const loaded = load();
    const host = new StandIn();
    Object.defineProperty(host, 'channel', { value: undefined });
    loaded.bootstrap.main(host);
    host.emit('message', childMessage({ target: task('noop'), args: ['noop'] }));
    expect(await host.exited).toEqual({ code: undefined, stderr: '' });
  });

  it('waits for an async run() before it exits', async () => {
    const { host } = runChild(childMessage({ target: task('sleepFor'), args: ['async', 50] }));
    await host.exited;
    expect(observations.of('finished', 'async')).toHaveLength(1);
  });

  it('a run() that throws: "Process <name>:" and the stack on stderr, then exit code 1', async () => {
    const { host } = runChild(childMessage({ target: task('raiseError'), args: ['raise', 'boom'], name: 'Failing' }));
    const exit = await host.exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/^Process Failing:\nError: boom\n {4}at raiseError .*\n[^]*\n$/);
  });

  it('an error that escapes run() later ends the child the same way', async () => {
    const { host } = runChild(childMessage({ target: task('sleepFor'), args: ['escape', 100], name: 'Escaping' }));
    await observations.waitFor('started', { tok: 'escape' });
    host.emit('uncaughtException', new RangeError('from a timer'));
    expect(await host.exited).toEqual({ code: 1, stderr: expect.stringMatching(/^Process Escaping:\nRangeError: from a timer\n {4}at /) });
    await observations.waitFor('finished', { tok: 'escape' }); // the stand-in does not really exit: let run() end
  });

  it('a start message it cannot read: reported under the name <unknown>, exit code 1', async () => {
    for (const [message, detail] of [
      [42, 'got number instead of JSON text'],
      ['{"v":1,"kind":"start"}', 'got version 1'],
    ] as const) {
      const { host } = runChild(message);
      const exit = await host.exited;
      expect(exit.code).toBe(1);
      expect(exit.stderr).toMatch(
        new RegExp(`^Process <unknown>:\\nError: invalid start message \\(wire format v4 expected\\): ${detail}\\n`),
      );
      expect(host.channel.unrefs).toBe(0);
    }
  });

  it('a target whose module does not load: the error names it, exit code 1', async () => {
    const { host } = runChild(childMessage({ target: { module: join(tmp, 'missing.js'), name: 'task' }, name: 'Lost' }));
    const exit = await host.exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/^Process Lost:\n.*missing\.js/);
  });

  it('imported rather than run as a main module, it waits for nothing', () => {
    const before = process.listenerCount('message');
    load();
    expect(process.listenerCount('message')).toBe(before);
  });
});

describe('the child half of src/process.ts', () => {
  it('the child becomes the process the message describes', async () => {
    const { host, loaded } = runChild(
      childMessage({ target: task('reportIdentity'), args: ['identity', 'me'], name: 'Kid', daemon: true, identity: [4, 2] }),
    );
    await host.exited;
    expect(observations.of('identity', 'identity')).toEqual([expect.objectContaining({ tag: 'me', currentPid: process.pid, name: 'Kid' })]);
    const { lib } = loaded;
    const me = lib.currentProcess();
    expect([me.name, me.daemon, me.pid, me.ident, me.exitCode, me.isAlive()]).toEqual(['Kid', true, process.pid, process.pid, null, true]);
    expect(String(me)).toBe(`<Process name='Kid' parent=${PARENT.pid} started daemon>`);
    expect(lib.parentProcess()).toMatchObject(PARENT);
    expect(() => me.start()).toThrow(expect.objectContaining({ code: 'ERR_MP_ALREADY_STARTED' }));
    // Its own children are named after its identity, inherit its daemon flag, and may not start (daemonic).
    const grandchild = new lib.Process();
    expect([grandchild.name, grandchild.daemon]).toEqual(['Process-4:2:1', true]);
    expect(() => grandchild.start()).toThrow(expect.objectContaining({ code: 'ERR_MP_DAEMON_CHILDREN' }));
  });

  it("the parent is alive while the child's IPC channel is connected", async () => {
    const { host, loaded } = runChild(childMessage({ target: task('noop'), args: ['noop'] }));
    await host.exited;
    const parent = loaded.lib.parentProcess();
    const own = Object.getOwnPropertyDescriptor(process, 'connected');
    try {
      for (const connected of [true, false, undefined]) {
        Object.defineProperty(process, 'connected', { value: connected, configurable: true });
        expect(parent?.isAlive()).toBe(connected === true);
      }
    } finally {
      if (own) Object.defineProperty(process, 'connected', own);
      else delete (process as { connected?: boolean }).connected;
    }
  });

  it('a Process subclass is rebuilt from its state, without running its constructor', async () => {
    const { host } = runChild(childMessage({ subclass: task('NamedProcess'), name: 'Kid', state: { tok: 'named' } }));
    await host.exited;
    expect(observations.of('run', 'named')).toEqual([expect.objectContaining({ label: 'named', name: 'Kid' })]);
    const { host: second, loaded } = runChild(
      childMessage({ subclass: task('ReportingProcess'), state: { tok: 'reporting', label: 'from state' } }),
    );
    await second.exited;
    expect(observations.of('run', 'reporting')).toEqual([expect.objectContaining({ label: 'from state', name: 'Kid' })]);
    const me = loaded.lib.currentProcess() as Library.Process & { label?: string };
    expect([me.constructor.name, me.label]).toEqual(['ReportingProcess', 'from state']);
  });

  it('while the target module loads, currentProcess() is already the child and no process may start', async () => {
    const module = join(tmp, 'starts-while-loading.js');
    writeFileSync(
      module,
      [
        `const lib = require(${JSON.stringify(`${DIST}/src/index.js`)});`,
        'exports.nameWhileLoading = lib.currentProcess().name;',
        'try { new lib.Process().start(); } catch (error) { exports.startError = error; }',
        'exports.task = function task() {};',
      ].join('\n'),
    );
    const { host, loaded } = runChild(childMessage({ target: { module, name: 'task' }, name: 'Loading' }));
    expect(await host.exited).toEqual({ code: undefined, stderr: '' });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the very module the child loaded
    const seen = require(module) as { nameWhileLoading: string; startError: unknown };
    expect(seen.nameWhileLoading).toBe('Loading');
    expect(seen.startError).toMatchObject({ code: 'ERR_MP_BOOTSTRAPPING' });
    // Once its modules are loaded, the child may start processes of its own, which see it as their parent.
    lib = loaded.lib;
    const grandchild = new lib.Process({ target: task('reportParent'), args: ['grandchild'] });
    expect(grandchild.name).toBe('Process-7:2'); // Process-7:1 was refused while loading: CPython counts every Process
    grandchild.start();
    await grandchild.join();
    expect(grandchild.exitCode).toBe(0);
    expect(observations.of('parent', 'grandchild')).toEqual([expect.objectContaining({ pid: grandchild.pid, parentPid: process.pid })]);
  }, 20_000);
});

describe('at exit (CPython util._exit_function)', () => {
  /** Starts a daemonic and a plain child, both running, and returns the exit hooks the library installed on `process`. */
  async function startTwo(
    loaded: Loaded,
  ): Promise<{ daemonic: Library.Process; plain: Library.Process; onExit: () => void; onBeforeExit: () => void }> {
    lib = loaded.lib;
    const before = { exit: process.listeners('exit'), beforeExit: process.listeners('beforeExit') };
    const daemonic = new lib.Process({ target: task('sleepFor'), args: ['daemonic', 60_000], daemon: true });
    const plain = new lib.Process({ target: task('sleepFor'), args: ['plain', 500] });
    daemonic.start();
    plain.start();
    const exit = process.listeners('exit').filter((l) => !before.exit.includes(l));
    const beforeExit = process.listeners('beforeExit').filter((l) => !before.beforeExit.includes(l));
    expect([exit.length, beforeExit.length]).toEqual([1, 1]);
    // Only this test calls them: Jest's `process` is a copy that never emits either event.
    for (const l of exit) process.removeListener('exit', l);
    for (const l of beforeExit) process.removeListener('beforeExit', l);
    await observations.waitFor('started', { tok: ['daemonic', 'plain'], count: 2 });
    return { daemonic, plain, onExit: () => exit[0]!(0), onBeforeExit: () => beforeExit[0]!(0) };
  }

  /** The daemonic child was terminated while it ran; the plain one ran to its end. */
  async function expectEnds(daemonic: Library.Process, plain: Library.Process): Promise<void> {
    await daemonic.join({ timeout: 3_000 });
    expect(daemonic.exitCode).toBe(-15);
    await plain.join();
    expect(plain.exitCode).toBe(0);
    expect(observations.of('finished', ['daemonic', 'plain'])).toEqual([expect.objectContaining({ tok: 'plain' })]);
  }

  it('joinChildrenAtExit() terminates the daemonic children and resolves once every child has ended', async () => {
    const loaded = load();
    const { daemonic, plain } = await startTwo(loaded);
    await loaded.internals.joinChildrenAtExit();
    expect([daemonic.exitCode, plain.exitCode]).toEqual([-15, 0]);
    expect(observations.of('finished', 'plain')).toHaveLength(1);
    expect(lib?.activeChildren()).toEqual([]);
  }, 20_000);

  it("the 'beforeExit' hook does so when children remain", async () => {
    const { daemonic, plain, onBeforeExit } = await startTwo(load());
    onBeforeExit();
    await expectEnds(daemonic, plain);
  }, 20_000);

  it("the 'exit' hook (process.exit(), an uncaught error) terminates the daemonic children, then blocks until every child has ended", async () => {
    const { daemonic, plain, onExit } = await startTwo(load());
    const begin = performance.now();
    onExit();
    const blocked = performance.now() - begin;
    // Nothing asynchronous ran in between: the exit codes come from /proc, read while blocking.
    expect([daemonic.exitCode, plain.exitCode]).toEqual([-15, 0]);
    expect(observations.of('finished', ['daemonic', 'plain'])).toEqual([expect.objectContaining({ tok: 'plain' })]);
    expect(blocked).toBeGreaterThan(0);
    await expectEnds(daemonic, plain);
  }, 20_000);
});
