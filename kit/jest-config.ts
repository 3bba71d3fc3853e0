/**
 * The Jest configuration of a kit run (the runner, kit/run-jest.ts, passes it with --config): the
 * compiled specs under dist/spec, one project per adapter choice of KIT_ADAPTERS (one, from the
 * runner), in band, with the kit's reporter only (Jest's own output too when KIT_JEST_OUTPUT=1).
 * It runs the same from this repository and from an installed package, where everything sits under
 * node_modules/, which Jest otherwise leaves out: its file map keeps those files (haste.retainAllFiles)
 * and no test path is ignored. The runner names the spec files to run (--runTestsByPath), chosen
 * from the catalogue (kit/select.ts). `npm test` uses jest.config.ts instead: the TypeScript specs
 * through ts-jest, and the kit's self-tests.
 */
import { join } from 'node:path';
import type { Config } from 'jest';
import { adapterChoices } from '../spec/harness/adapter-choices';
import { DIST, REPO_ROOT } from '../spec/harness/paths';

const SPECS = join(DIST, 'spec');

type ProjectConfig = Exclude<NonNullable<Config['projects']>[number], string>;

const common: ProjectConfig = {
  rootDir: REPO_ROOT,
  roots: [SPECS],
  testEnvironment: 'node',
  testMatch: [join(SPECS, '*', '*.spec.js')],
  testPathIgnorePatterns: [],
  haste: { retainAllFiles: true },
  // An adapter written in TypeScript, and the .ts modules it loads (kit/typescript.ts); the specs are JavaScript.
  transform: { '\\.(c?ts|tsx)$': join(DIST, 'kit', 'typescript.js') },
  setupFiles: [join(SPECS, 'harness', 'fast-check-setup.js')],
};

const config: Config = {
  rootDir: REPO_ROOT,
  maxWorkers: 1,
  watchman: false,
  globalSetup: join(SPECS, 'harness', 'global-setup.js'),
  globalTeardown: join(SPECS, 'harness', 'global-teardown.js'),
  reporters: [join(DIST, 'kit', 'reporter.js'), ...(process.env.KIT_JEST_OUTPUT === '1' ? ['default'] : [])],
  projects: adapterChoices().map((choice) => ({ ...common, displayName: choice, globals: { __KIT_ADAPTER__: choice } })),
};

export default config;
