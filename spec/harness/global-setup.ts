/**
 * Jest globalSetup: one run folder for the whole run, which is also TMPDIR for the run and every
 * process it starts (so CPython's pymp-* folders and the specs' temp folders land inside it, and a
 * second kit run on the same machine has its own), plus the observation file in it (children
 * inherit KIT_OBSERVE_FILE from the environment; see fixtures/README.md), and each adapter's
 * capabilities, probed once (spec/harness/capabilities.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { probeCapabilities } from './capabilities';

export const OBSERVATIONS = 'observations.jsonl';

export default async function globalSetup(): Promise<void> {
  const runDir = mkdtempSync(join(tmpdir(), 'mp-kit-run-'));
  const file = join(runDir, OBSERVATIONS);
  writeFileSync(file, '');
  process.env.KIT_RUN_DIR = runDir;
  // Names of shared-memory entries of this run start with it (CPython's semaphores: the agent's semprefix).
  process.env.KIT_RUN_ID = basename(runDir);
  process.env.KIT_OBSERVE_FILE = file;
  process.env.TMPDIR = runDir;
  await probeCapabilities(runDir);
}
