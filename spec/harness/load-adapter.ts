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

/** The built-in choices, as messages list them. */
export const BUILT_IN_CHOICES = 'ours, cpython[:fork|spawn|forkserver] (also python), broken:<breakage>';

/** Parses `name[:variant][?key=value&...]`; a path may itself contain no colon. */
export function parseAdapterChoice(choice: string): AdapterChoice {
  const [head = '', query] = choice.split('?', 2);
  const [name = '', variant] = head.split(':');
  const module = BUILT_IN[name] ?? resolve(process.cwd(), name);
  const settings = Object.fromEntries(new URLSearchParams(query ?? ''));
  return variant ? { module, variant, settings } : { module, settings };
}

/** Whether a choice names a built-in adapter rather than a module of the user's. */
export const isBuiltIn = (choice: string): boolean => (choice.split(/[:?]/, 1)[0] ?? '') in BUILT_IN;

/** The options createAdapter gets for a choice: the variant (also as startMethod) and the settings. */
export function optionsOf({ variant, settings }: AdapterChoice): AdapterOptions {
  return { ...(variant ? { variant, startMethod: variant } : {}), ...(Object.keys(settings).length > 0 ? { settings } : {}) };
}

/** The choice of the running Jest project (`__KIT_ADAPTER__` global), defaulting to ours. */
export function currentChoice(): string {
  const fromProject = (globalThis as { __KIT_ADAPTER__?: string }).__KIT_ADAPTER__;
  return fromProject ?? process.env.KIT_ADAPTER ?? 'ours';
}

/** The adapter module's createAdapter, or an error that says what is wrong with the module, in one line. */
function createAdapterOf(choice: string, module: string): CreateAdapter {
  let loaded: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(module);
  } catch (cause) {
    const error = cause as NodeJS.ErrnoException;
    const first = String(error.message).split('\n')[0] ?? '';
    const name = choice.split(/[:?]/, 1)[0] ?? '';
    // The module itself is missing (not a module it requires).
    if (error.code === 'MODULE_NOT_FOUND' && first.includes(`'${module}'`)) {
      const why = /^[\w-]+$/.test(name)
        ? `'${name}' is no built-in adapter (${BUILT_IN_CHOICES}), and there is no module ${module}`
        : `there is no module ${module}`;
      throw new Error(`cannot load adapter '${choice}': ${why}`, { cause });
    }
    throw new Error(`cannot load adapter '${choice}' from ${module}: ${first}`, { cause });
  }
  const exports = loaded as { default?: unknown } | null | undefined;
  if (typeof exports?.default === 'function') return exports.default as CreateAdapter;
  const has =
    typeof loaded === 'function'
      ? 'it exports a function as the module itself: export it as the default export (exports.default = createAdapter, or export default in TypeScript)'
      : `its exports: ${Object.keys(exports ?? {}).join(', ') || 'none'}`;
  throw new Error(`cannot load adapter '${choice}' from ${module}: it has no default export createAdapter(options) (${has})`);
}

export async function loadAdapter(choice: string): Promise<KitAdapter> {
  const parsed = parseAdapterChoice(choice);
  const create = createAdapterOf(choice, parsed.module);
  let adapter: Adapter;
  try {
    adapter = await create(optionsOf(parsed));
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new Error(`adapter '${choice}': createAdapter(${JSON.stringify(optionsOf(parsed))}) failed: ${message}`, { cause });
  }
  checkAdapter(adapter, choice);
  return track(adapter);
}

/** The members no adapter may lack (the shared-object makers are optional). */
const REQUIRED_MEMBERS = ['Process', 'currentProcess', 'activeChildren', 'callInParent', 'program', 'close'] as const;

function checkAdapter(adapter: Adapter, choice: string): void {
  if (typeof adapter !== 'object' || adapter === null) {
    throw new Error(`adapter '${choice}': createAdapter() resolved with ${String(adapter)}, not an adapter (spec/adapter.ts)`);
  }
  if (adapter.contractVersion !== CONTRACT_VERSION) {
    throw new Error(
      `adapter '${choice}' implements contract version ${String(adapter.contractVersion)}, the kit needs ${CONTRACT_VERSION}`,
    );
  }
  if (typeof adapter.name !== 'string' || adapter.name === '') throw new Error(`adapter '${choice}' has no name (a non-empty string)`);
  if (!(adapter.capabilities instanceof Set)) throw new Error(`adapter '${choice}': capabilities must be a Set of capability names`);
  const missing = REQUIRED_MEMBERS.filter((member) => typeof adapter[member] !== 'function');
  if (missing.length > 0)
    throw new Error(`adapter '${choice}' lacks the member(s) ${missing.join(', ')}, which every adapter has (spec/adapter.ts)`);
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
