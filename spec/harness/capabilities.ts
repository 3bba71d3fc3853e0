/**
 * Which optional members each adapter of the run has, known before any spec file registers its
 * tests: Jest registers tests synchronously, so a rule whose adapter lacks a member it needs
 * (Lock(), Value(), ...) must be known as unsupported then, to be reported so (its tests skipped,
 * its describe title saying why), never run and never passed. The global setup loads each adapter
 * once, reads its capabilities and writes them to the run folder; describeRule reads them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Capability } from '../adapter';
import { adapterChoices } from './adapter-choices';
import { loadAdapter } from './load-adapter';

/** In the run folder, beside the observations (the global teardown expects both). */
export const CAPABILITIES_FILE = 'capabilities.json';

/** Loads every adapter of the run once and records its capabilities (or why it did not load). */
export async function probeCapabilities(runDir: string): Promise<void> {
  const found: Record<string, Capability[] | null> = {};
  for (const choice of adapterChoices()) {
    try {
      const adapter = await loadAdapter(choice);
      found[choice] = [...adapter.capabilities];
      await adapter.close();
    } catch {
      // Each spec file's own load of it fails, with the message, where it belongs.
      found[choice] = null;
    }
  }
  writeFileSync(join(runDir, CAPABILITIES_FILE), JSON.stringify(found));
}

/** What `choice` declared in this run's probe; undefined when it was not probed (nothing is then assumed missing). */
export function probedCapabilities(choice: string): ReadonlySet<Capability> | undefined {
  const runDir = process.env.KIT_RUN_DIR;
  if (!runDir) return undefined;
  try {
    const found = (JSON.parse(readFileSync(join(runDir, CAPABILITIES_FILE), 'utf8')) as Record<string, Capability[] | null>)[choice];
    return found ? new Set(found) : undefined;
  } catch {
    return undefined;
  }
}
