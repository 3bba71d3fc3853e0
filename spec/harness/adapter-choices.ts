/**
 * The adapters a run tests: KIT_ADAPTERS (comma-separated) or KIT_ADAPTER, by default ours and
 * CPython with fork. jest.config.ts makes one project per choice; the global setup probes each.
 */
export function adapterChoices(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.KIT_ADAPTERS ?? env.KIT_ADAPTER ?? 'ours,cpython:fork')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
