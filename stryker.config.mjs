// `npm run mutate`: mutation testing of src/ against the specs run on ours (KIT_ADAPTERS=ours).
// Stryker instruments src/, the build command compiles it into the sandbox's dist/, and the specs
// load that dist/, as they always do. Concurrency 1: the specs measure time on a 2-core machine.
// Expect hours for all of src/ (each mutant re-runs every spec that covers it, and those start
// real processes); narrow it with `npm run mutate -- --mutate src/standby.ts`.
export default {
  mutate: ['src/**/*.ts'],
  testRunner: 'jest',
  jest: { projectType: 'custom', configFile: 'jest.config.ts', enableFindRelatedTests: false },
  buildCommand: 'npx tsc -p tsconfig.build.json',
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  concurrency: 1,
  timeoutMS: 20000,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation.json' },
  tempDirName: '.stryker-tmp',
};
