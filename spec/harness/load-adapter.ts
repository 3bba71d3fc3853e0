/**
 * Chooses, loads and checks the adapter under test. The choice is one string, from the Jest
 * project (jest.config.ts builds one project per entry of KIT_ADAPTERS):
 *   `ours`                      our library (spec/adapters/ours.ts)
 *   `cpython` / `cpython:spawn` CPython's multiprocessing, default start method fork
 *   `<path>[:method]`           any module whose default export is a CreateAdapter
 * The harness, not the adapter, adds what can be derived (the ledger of started processes for the
 * leak check, deadlines on every call), so a minimal adapter stays minimal.
 */
import { resolve } from 'node:path';
import { CAPABILITIES, CONTRACT_VERSION, type Adapter, type CreateAdapter, type ProcessHandle, type ProcessOptions } from '../adapter';
import { fail } from './checks';
import { monotonicNow } from './clock';
import { within } from './deadline';
import { Ledger } from './ledger';

const BUILT_IN: Record<string, string> = {
  ours: resolve(__dirname, '../adapters/ours'),
  cpython: resolve(__dirname, '../adapters/cpython'),
  broken: resolve(__dirname, '../adapters/broken'),
};

export interface AdapterChoice {
  module: string;
  startMethod?: string;
}

/** Parses `name[:startMethod]`; a path may itself contain no colon. */
export function parseAdapterChoice(choice: string): AdapterChoice {
  const [name = '', startMethod] = choice.split(':');
  const module = BUILT_IN[name] ?? resolve(process.cwd(), name);
  return startMethod ? { module, startMethod } : { module };
}

/** The choice of the running Jest project (`__KIT_ADAPTER__` global), defaulting to ours. */
export function currentChoice(): string {
  const fromProject = (globalThis as { __KIT_ADAPTER__?: string }).__KIT_ADAPTER__;
  return fromProject ?? process.env.KIT_ADAPTER ?? 'ours';
}

/** An adapter plus what the kit derives from it. */
export interface KitAdapter extends Adapter {
  /** The processes the current test started (spec/harness/ledger.ts). */
  readonly ledger: Ledger;
  /**
   * From this monotonic time on, every pending or new adapter call rejects, naming the call: a
   * spec never ends on Jest's own timeout. The kit sets it per test; undefined lifts it.
   */
  setDeadline(at: number | undefined): void;
  /** `promise`, rejected naming `what` if it has not settled by the deadline (a wait of the kit's own, such as an exit). */
  guard<T>(what: string, promise: Promise<T>): Promise<T>;
}

export async function loadAdapter(choice: string): Promise<KitAdapter> {
  const { module, startMethod } = parseAdapterChoice(choice);
  let create: CreateAdapter;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(module) as { default?: CreateAdapter };
    if (typeof loaded.default !== 'function') throw new Error('its default export is not a function createAdapter(options)');
    create = loaded.default;
  } catch (cause) {
    throw new Error(`cannot load adapter '${choice}' from ${module}: ${(cause as Error).message}`, { cause });
  }
  const adapter = await create(startMethod ? { startMethod } : {});
  checkAdapter(adapter, choice);
  return track(adapter);
}

function checkAdapter(adapter: Adapter, choice: string): void {
  if (adapter.contractVersion !== CONTRACT_VERSION) {
    throw new Error(
      `adapter '${choice}' implements contract version ${String(adapter.contractVersion)}, the kit needs ${CONTRACT_VERSION}`,
    );
  }
  for (const flag of adapter.capabilities) {
    if (!(flag in CAPABILITIES)) {
      throw new Error(`adapter '${choice}' declares unknown capability '${flag}'; known: ${Object.keys(CAPABILITIES).join(', ')}`);
    }
  }
}

const describeOptions = (options: ProcessOptions): string =>
  options.subclass !== undefined
    ? `subclass ${options.subclass}`
    : typeof options.target === 'string'
      ? options.target
      : options.target === undefined
        ? 'no target'
        : 'an unsendable target';

function track(adapter: Adapter): KitAdapter {
  const ledger = new Ledger();
  let deadline: number | undefined;
  const guard = <T>(what: string, promise: Promise<T>): Promise<T> => {
    if (deadline === undefined) return promise;
    const left = deadline - monotonicNow();
    return within(promise, left, what, `${what} did not settle within the test's budget (${Math.round(left)} ms were left)`);
  };

  const trackHandle = (handle: ProcessHandle, label: string): ProcessHandle => {
    const call =
      <K extends keyof ProcessHandle>(member: K) =>
      (...args: Parameters<ProcessHandle[K]>): ReturnType<ProcessHandle[K]> =>
        guard(`${member}() of ${label}`, (handle[member] as (...a: unknown[]) => Promise<unknown>)(...args)) as ReturnType<
          ProcessHandle[K]
        >;
    const tracked: ProcessHandle = {
      start: async () => {
        const calledAt = monotonicNow();
        await guard(`start() of ${label}`, handle.start());
        const returnedAt = monotonicNow();
        // Obligation: a started handle knows its pid.
        const pid = await guard(`pid() of ${label}`, handle.pid());
        if (typeof pid !== 'number') fail(`pid() of ${label} is ${String(pid)} after start() resolved; it must be the child's pid`);
        if (ledger.isProtected(pid)) {
          fail(`the child's pid is the parent's own (pid ${pid}, ${label}): one Process must be one OS process of its own`);
        }
        ledger.addStarted(pid, `${label} (pid ${pid})`, tracked, calledAt, returnedAt);
      },
      join: call('join'),
      isAlive: call('isAlive'),
      terminate: call('terminate'),
      kill: call('kill'),
      close: call('close'),
      run: call('run'),
      pid: call('pid'),
      exitCode: call('exitCode'),
      name: call('name'),
      daemon: call('daemon'),
      setDaemon: call('setDaemon'),
    };
    return tracked;
  };

  // Delegation rather than a prototype trick: adapters may keep #private state bound to `this`.
  return {
    contractVersion: adapter.contractVersion,
    name: adapter.name,
    capabilities: adapter.capabilities,
    Process: async (options) => {
      const label = describeOptions(options);
      return trackHandle(await guard(`Process(${label})`, adapter.Process(options)), label);
    },
    currentProcess: () => guard('currentProcess()', adapter.currentProcess()),
    activeChildren: () => guard('activeChildren()', adapter.activeChildren()),
    callInParent: (task, args) => guard(`callInParent('${task}')`, adapter.callInParent(task, args)),
    program: (name, args) => adapter.program(name, args),
    close: () => adapter.close(),
    ledger,
    setDeadline: (at) => {
      deadline = at;
    },
    guard,
  };
}
