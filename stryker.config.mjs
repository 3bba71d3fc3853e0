// `npm run mutate`: mutation testing of src/ (docs/mutation-testing.md). Stryker instruments src/,
// the build command compiles it into the sandbox's dist/, and the tests load that dist/, as they
// always do; children run it too, and run the active mutant: they inherit the environment variable
// __STRYKER_ACTIVE_MUTANT__ that the Jest runner sets.
import process from 'node:process';

export default {
  mutate: ['src/**/*.ts'],
  testRunner: 'jest',
  // Our library's tests and the specs on ours only, plus a bail at a mutant's first failing test and
  // a test sequencer that runs only the files holding its covering tests, cheapest first
  // (jest.mutate.config.ts). enableFindRelatedTests would find nothing: tests load dist/ by path.
  jest: { projectType: 'custom', configFile: 'jest.mutate.config.ts', enableFindRelatedTests: false },
  buildCommand: 'npx tsc -p tsconfig.build.json',
  coverageAnalysis: 'perTest',
  // Static mutants (in code that runs only outside any test: module loading, beforeAll hooks) would
  // each run every test; they are left out of the score instead, and a mutant that runs both inside
  // and outside tests runs only against the tests it ran in, so a few survive (see the doc).
  // `npm run mutate:thorough` (MUTATE_STATIC=run) runs both kinds against every test: much slower.
  ignoreStatic: process.env.MUTATE_STATIC !== 'run',
  // Only the mutants (and tests) changed since the last run are run again; `-- --force` runs all.
  // The results live with Stryker's other temporary files, which git ignores.
  incremental: true,
  incrementalFile: '.stryker-tmp/incremental.json',
  // One Jest at a time: the specs measure time on a 2-core machine.
  concurrency: 1,
  // A hung wait ends at the spec's own 20 s budget, which kills the mutant; Stryker's timeout comes later.
  timeoutMS: 20000,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation.json' },
  tempDirName: '.stryker-tmp',
};
