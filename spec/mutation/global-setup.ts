/**
 * The kit's global setup (spec/harness/global-setup.ts), with the run folder inside Stryker's
 * sandbox. The kit's teardown removes the run folder, but Stryker kills its worker (Jest and the
 * children) when a mutant times out, and a killed worker never tears down: its run folder would
 * stay in /tmp. Inside the sandbox it goes when Stryker removes the sandbox.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import kitGlobalSetup from '../harness/global-setup';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- shared with the .cjs environment, as plain CommonJS
const { inSandbox } = require('./run-state.cjs') as { inSandbox(rootDir: string): boolean };

export default async function globalSetup(globalConfig: { rootDir: string }): Promise<void> {
  if (inSandbox(globalConfig.rootDir)) {
    // The same folder for every run in this sandbox: the kit's setup then points TMPDIR at its run folder.
    const base = join(globalConfig.rootDir, '.kit-tmp');
    mkdirSync(base, { recursive: true });
    process.env.TMPDIR = base;
  }
  await kitGlobalSetup();
}
