/**
 * Jest globalSetup: one run folder and one observation file for the whole run (children inherit
 * KIT_OBSERVE_FILE from the environment; see fixtures/README.md), and a list of what /dev/shm and
 * the temp folder held before, so global-teardown.ts can tell what the run left behind.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Temp entries a run may leave: the kit's per-spec folders, CPython's pymp-* folders, shared memory.
 * Other concurrent runs' own folders (mp-kit-run-*, -report-, -prove-, -bench-) are theirs, not leaks.
 */
export const listTemp = (): string[] => [
  ...readdirSync(tmpdir()).filter((name) => name.startsWith('mp-kit-spec-') || name.startsWith('pymp-')),
  ...safeList('/dev/shm').map((name) => `/dev/shm/${name}`),
];

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export default function globalSetup(): void {
  const before = listTemp();
  const runDir = mkdtempSync(join(tmpdir(), 'mp-kit-run-'));
  const file = join(runDir, 'observations.jsonl');
  writeFileSync(file, '');
  process.env.KIT_RUN_DIR = runDir;
  process.env.KIT_OBSERVE_FILE = file;
  process.env.KIT_TEMP_BEFORE = JSON.stringify(before);
}
