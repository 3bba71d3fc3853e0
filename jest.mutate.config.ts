/**
 * The Jest configuration of `npm run mutate` (stryker.config.mjs), not of `npm test`. It runs what
 * can kill a mutant of src/: our library's own tests (spec/library) and the specs on our adapter
 * (every spec/<section>/*.spec.ts with `ours`), without the kit's self-checks and the CPython adapter's tests. Two
 * additions make a mutant cheap (spec/mutation/): a test environment that stops a mutant's run at
 * its first failing test, and a sequencer that runs only the files holding tests that cover the
 * mutant, cheapest first. Otherwise it is jest.config.ts: same transform, and the kit's global
 * setup and teardown, wrapped for runs in a sandbox and after a failed test.
 */
import { join } from 'node:path';
import type { Config } from 'jest';

const config: Config = {
  maxWorkers: 1,
  globalSetup: '<rootDir>/spec/mutation/global-setup.ts',
  globalTeardown: '<rootDir>/spec/mutation/global-teardown.ts',
  // An absolute path: Stryker's jest-runner loads the environment itself and expands no <rootDir>.
  testEnvironment: join(__dirname, 'spec', 'mutation', 'bail-environment.cjs'),
  testSequencer: '<rootDir>/spec/mutation/sequencer.cjs',
  testMatch: ['<rootDir>/spec/library/**/*.test.ts', '<rootDir>/spec/*/*.spec.ts'],
  // The specs take their adapter from this global (spec/harness/load-adapter.ts); the library tests ignore it.
  globals: { __KIT_ADAPTER__: 'ours' },
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  modulePathIgnorePatterns: ['<rootDir>/dist/spec/', '<rootDir>/.stryker-tmp/'],
  setupFiles: ['<rootDir>/spec/harness/fast-check-setup.ts'],
};

export default config;
