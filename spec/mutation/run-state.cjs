/**
 * State shared by the mutation run's test environment and test sequencer (jest.mutate.config.ts),
 * which Jest loads as separate modules in the Stryker worker process, outside the tests' sandboxes.
 *
 * - `mutant`/`killed`: the mutant under test (Stryker sets __STRYKER_ACTIVE_MUTANT__ in the worker
 *   around each mutant run) and whether a test already failed under it.
 * - `tests`: for each test file, the full names of its tests and their durations, read in the dry
 *   run (no active mutant), so that a mutant run can skip the files none of whose tests Stryker
 *   asked for and run the cheap files first. Kept in a file in the sandbox too, because Stryker
 *   replaces its worker process after a timeout.
 */
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { basename, join } = require('node:path');

const KEY = Symbol.for('mp-conformance-kit.mutation-run');
const FILE = '.mutation-tests.json';

/** @returns {{ killed: string | undefined, tests: Record<string, { names: string[], ms: number[], overheadMs: number }>, saved: boolean }} */
function runState() {
  globalThis[KEY] ??= { killed: undefined, tests: {}, saved: true };
  return globalThis[KEY];
}

/** The id of the mutant Stryker is testing now, or undefined in the dry run and in plain Jest runs. */
function activeMutant() {
  return process.env.__STRYKER_ACTIVE_MUTANT__ || undefined;
}

function load(rootDir) {
  const state = runState();
  const file = join(rootDir, FILE);
  if (Object.keys(state.tests).length === 0 && existsSync(file)) state.tests = JSON.parse(readFileSync(file, 'utf8'));
  return state;
}

/** Whether Jest runs in a Stryker sandbox (<tempDirName>/sandbox-*), which Stryker removes afterwards. */
function inSandbox(rootDir) {
  return basename(rootDir).startsWith('sandbox-');
}

/** Only in a sandbox: the file would otherwise be left in the working tree. */
function save(rootDir) {
  const state = runState();
  if (state.saved || !inSandbox(rootDir)) return;
  writeFileSync(join(rootDir, FILE), JSON.stringify(state.tests));
  state.saved = true;
}

module.exports = { activeMutant, inSandbox, load, runState, save };
