/**
 * One Jest project per adapter under test (KIT_ADAPTERS, comma-separated, or KIT_ADAPTER for one;
 * default: ours and CPython with fork), plus the `kit` project that checks the catalogue and the harness itself. Specs run in
 * band: on a 2-core machine, parallel spec files would make every timing bound meaningless.
 */
import type { Config } from 'jest';
import { adapterChoices } from './spec/harness/adapter-choices';

const adapters = adapterChoices();

// Type-checking is `npm run typecheck`'s job: with isolatedModules in tsconfig.json ts-jest only transpiles, which keeps Jest fast.
const tsJest = {};

type ProjectConfig = Exclude<NonNullable<Config['projects']>[number], string>;

const common: ProjectConfig = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', tsJest],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  modulePathIgnorePatterns: ['<rootDir>/dist/spec/', '<rootDir>/.stryker-tmp/'],
  setupFiles: ['<rootDir>/spec/harness/fast-check-setup.ts'],
};

const config: Config = {
  maxWorkers: 1,
  globalSetup: '<rootDir>/spec/harness/global-setup.ts',
  globalTeardown: '<rootDir>/spec/harness/global-teardown.ts',
  // The closing line "N passed, N failed" (kit/summary.ts, compiled: Jest loads reporters as JavaScript).
  reporters: ['default', '<rootDir>/dist/kit/summary.js'],
  projects: [
    { ...common, displayName: 'kit', testMatch: ['<rootDir>/spec/**/*.test.ts'] },
    ...adapters.map((choice) => ({
      ...common,
      displayName: choice,
      testMatch: ['<rootDir>/spec/*/**/*.spec.ts'],
      globals: { __KIT_ADAPTER__: choice },
    })),
  ],
};

export default config;
