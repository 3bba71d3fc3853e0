/**
 * Chooses, loads and checks the adapter under test. The choice is one string, from the Jest
 * project (jest.config.ts builds one project per entry of KIT_ADAPTERS):
 *   `ours`                      our library (spec/adapters/ours.ts)
 *   `cpython` / `cpython:spawn` CPython's multiprocessing, default start method fork
 *   `<path>[:method]`           any module whose default export is a CreateAdapter
 * The harness, not the adapter, adds what can be derived (handle tracking for leak checks), so a
 * minimal adapter stays minimal.
 */
import { resolve } from 'node:path';
import { CAPABILITIES, CONTRACT_VERSION, type Adapter, type CreateAdapter, type ProcessHandle } from '../adapter';

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
  /** Every handle created through this adapter since the last call, for the leak check. */
  takeHandles(): ProcessHandle[];
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

function track(adapter: Adapter): KitAdapter {
  let handles: ProcessHandle[] = [];
  // Delegation rather than a prototype trick: adapters may keep #private state bound to `this`.
  return {
    contractVersion: adapter.contractVersion,
    name: adapter.name,
    capabilities: adapter.capabilities,
    Process: async (options) => {
      const handle = await adapter.Process(options);
      handles.push(handle);
      return handle;
    },
    currentProcess: () => adapter.currentProcess(),
    activeChildren: () => adapter.activeChildren(),
    callInParent: (task, args) => adapter.callInParent(task, args),
    program: (name, args) => adapter.program(name, args),
    close: () => adapter.close(),
    takeHandles: () => {
      const taken = handles;
      handles = [];
      return taken;
    },
  };
}
