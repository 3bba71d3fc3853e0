/**
 * Deliberately wrong adapters: ours with one behaviour broken, to show that specs can fail and
 * fail readably. Pick one with `KIT_ADAPTERS=broken:<breakage>`; `npm run prove` runs every
 * breakage against the rules that must catch it (scripts/prove-specs-fail.ts). The breakage name
 * travels in the `startMethod` option, the contract's slot for an implementation's variants.
 */
import { type Adapter, type Capability, type CreateAdapter, type ProcessHandle } from '../adapter';
import ours from './ours';

type Breakage = { catches: string[]; description: string; wrap: (adapter: Adapter) => Adapter };

const mapHandles = (adapter: Adapter, change: (handle: ProcessHandle) => Partial<ProcessHandle>): Adapter => ({
  ...adapter,
  Process: async (options) => {
    const handle = await adapter.Process(options);
    return { ...handle, ...change(handle) };
  },
});

const withCapabilities = (adapter: Adapter, flags: Capability[]): Adapter => ({ ...adapter, capabilities: new Set(flags) });

/** Which rule ids must fail for each breakage. */
export const BREAKAGES: Record<string, Breakage> = {
  'start-waits-for-exit': {
    catches: ['P1', 'P7'],
    description: 'start() returns only when the child has ended',
    wrap: (a) => mapHandles(a, (h) => ({ start: async () => (await h.start(), await h.join()) })),
  },
  'join-returns-early': {
    catches: ['P6'],
    description: 'join() resolves at once',
    wrap: (a) => mapHandles(a, () => ({ join: async () => undefined })),
  },
  'join-ignores-timeout': {
    catches: ['P8'],
    description: 'join(timeout) waits for the end regardless of the timeout',
    wrap: (a) => mapHandles(a, (h) => ({ join: () => h.join() })),
  },
  'positive-signal-codes': {
    catches: ['P9'],
    description: 'a signal death is reported as a positive exit code',
    wrap: (a) =>
      mapHandles(a, (h) => ({
        exitCode: async () => {
          const code = await h.exitCode();
          return code === null ? null : Math.abs(code);
        },
      })),
  },
  'exit-code-always-zero': {
    catches: ['P10'],
    description: 'every ended child reports exit code 0',
    wrap: (a) => mapHandles(a, (h) => ({ exitCode: async () => ((await h.exitCode()) === null ? null : 0) })),
  },
  'drops-kwargs': {
    catches: ['P2'],
    description: 'keyword arguments never reach the child',
    wrap: (a) => ({ ...a, Process: ({ kwargs: _dropped, ...options }) => a.Process(options) }),
  },
  'accepts-unknown-options': {
    catches: ['P2'],
    description: 'unknown constructor options are silently dropped',
    wrap: (a) => ({
      ...a,
      Process: ({ target, subclass, args, kwargs, name, daemon }) => a.Process(clean({ target, subclass, args, kwargs, name, daemon })),
    }),
  },
  'subclass-ignored': {
    catches: ['P3'],
    description: 'a subclass is replaced by a plain process running noop',
    wrap: (a) => ({
      ...a,
      Process: ({ subclass, args: _args, ...options }) => a.Process(subclass ? { ...options, target: 'noop' } : options),
    }),
  },
  'names-not-counted': {
    catches: ['P4'],
    description: 'every process reports the name Process-1',
    wrap: (a) => mapHandles(a, () => ({ name: async () => 'Process-1' })),
  },
  'claims-fork-memory': {
    catches: ['P5'],
    description: "declares 'inherits-parent-memory', which ours does not have",
    wrap: (a) => withCapabilities(a, [...a.capabilities, 'inherits-parent-memory']),
  },
  'no-misuse-checks': {
    catches: ['P11'],
    description: 'a second start() and an early join() are silently ignored',
    wrap: (a) =>
      mapHandles(a, (h) => {
        let started = false;
        return {
          start: async () => (started ? undefined : ((started = true), h.start())),
          join: async (options) => (started ? h.join(options) : undefined),
        };
      }),
  },
  'terminate-does-nothing': {
    catches: ['P9'],
    description: 'terminate() sends nothing (the child is left running: the leak check must also see it)',
    wrap: (a) => mapHandles(a, (h) => ({ terminate: async () => undefined, join: (o) => h.join(o ?? { timeout: 2000 }) })),
  },
};

function clean<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as T;
}

const createAdapter: CreateAdapter = async ({ startMethod }) => {
  const breakage = startMethod ? BREAKAGES[startMethod] : undefined;
  if (!breakage) throw new Error(`unknown breakage '${String(startMethod)}'; known: ${Object.keys(BREAKAGES).join(', ')}`);
  const adapter = breakage.wrap(await ours({}));
  return { ...adapter, name: `broken:${startMethod}` };
};

export default createAdapter;
