/**
 * Chooses, loads and checks the adapter under test. The choice is one string, from the Jest
 * project (jest.config.ts builds one project per entry of KIT_ADAPTERS):
 *   `ours`                      our library (spec/adapters/ours.ts)
 *   `cpython` / `cpython:spawn` a Python multiprocessing, default start method fork; settings
 *                               `?python=<interpreter>&module=<module>` (or KIT_PYTHON, KIT_PYTHON_MODULE)
 *   `broken:<breakage>`         ours with one behaviour broken on purpose (spec/adapters/broken.ts)
 *   `<path>[:variant]`          any module whose default export is a CreateAdapter
 * Any choice may end in `?key=value&...`: the adapter's settings (spec/adapter.ts, AdapterOptions).
 * The harness, not the adapter, adds what can be derived (the ledger of started processes for the
 * leak check, deadlines on every call), so a minimal adapter stays minimal.
 */
import { resolve } from 'node:path';
import { CAPABILITIES, CONTRACT_VERSION, type Adapter, type AdapterOptions, type CreateAdapter } from '../adapter';
import { track, type KitAdapter } from './tracked-adapter';

export type { KitAdapter } from './tracked-adapter';

const BUILT_IN: Record<string, string> = {
  ours: resolve(__dirname, '../adapters/ours'),
  cpython: resolve(__dirname, '../adapters/cpython'),
  python: resolve(__dirname, '../adapters/cpython'),
  broken: resolve(__dirname, '../adapters/broken'),
};

export interface AdapterChoice {
  module: string;
  variant?: string;
  settings: Record<string, string>;
}

/** Parses `name[:variant][?key=value&...]`; a path may itself contain no colon. */
export function parseAdapterChoice(choice: string): AdapterChoice {
  const [head = '', query] = choice.split('?', 2);
  const [name = '', variant] = head.split(':');
  const module = BUILT_IN[name] ?? resolve(process.cwd(), name);
  const settings = Object.fromEntries(new URLSearchParams(query ?? ''));
  return variant ? { module, variant, settings } : { module, settings };
}

/** The options createAdapter gets for a choice: the variant (also as startMethod) and the settings. */
export function optionsOf({ variant, settings }: AdapterChoice): AdapterOptions {
  return { ...(variant ? { variant, startMethod: variant } : {}), ...(Object.keys(settings).length > 0 ? { settings } : {}) };
}

/** The choice of the running Jest project (`__KIT_ADAPTER__` global), defaulting to ours. */
export function currentChoice(): string {
  const fromProject = (globalThis as { __KIT_ADAPTER__?: string }).__KIT_ADAPTER__;
  return fromProject ?? process.env.KIT_ADAPTER ?? 'ours';
}

export async function loadAdapter(choice: string): Promise<KitAdapter> {
  const parsed = parseAdapterChoice(choice);
  const { module } = parsed;
  let create: CreateAdapter;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(module) as { default?: CreateAdapter };
    if (typeof loaded.default !== 'function') throw new Error('its default export is not a function createAdapter(options)');
    create = loaded.default;
  } catch (cause) {
    throw new Error(`cannot load adapter '${choice}' from ${module}: ${(cause as Error).message}`, { cause });
  }
  const adapter = await create(optionsOf(parsed));
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
  // The optional makers: the capability says so exactly when the member is there, so rules that
  // need one can be reported unsupported before they run (spec/harness/capabilities.ts).
  for (const member of ['Lock', 'RLock', 'Value', 'Queue', 'JoinableQueue', 'Pipe'] as const) {
    const has = typeof adapter[member] === 'function';
    if (has !== adapter.capabilities.has(member)) {
      throw new Error(
        has
          ? `adapter '${choice}' has ${member}() but does not declare the capability '${member}'`
          : `adapter '${choice}' declares the capability '${member}' but has no ${member}() member`,
      );
    }
  }
}
