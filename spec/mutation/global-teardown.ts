/**
 * The kit's global teardown (spec/harness/global-teardown.ts): it ends and reports whatever a run
 * left behind. A mutant that breaks terminate(), kill() or join() leaves processes behind after a
 * spec has already failed under it; the teardown's error would then make Stryker report the
 * mutant as a crashed test runner (a RuntimeError, retried twice in new workers, left out of the
 * score) although a test killed it. So a leak after a failed test is only logged; a leak in a run
 * where every test passed still fails the run, as in `npm test`.
 */
import kitGlobalTeardown from '../harness/global-teardown';

interface RunState {
  activeMutant(): string | undefined;
  runState(): { killed: string | undefined };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- shared with the .cjs environment, as plain CommonJS
const { activeMutant, runState } = require('./run-state.cjs') as RunState;

export default function globalTeardown(): void {
  try {
    kitGlobalTeardown();
  } catch (error) {
    const mutant = activeMutant();
    if (mutant === undefined || runState().killed !== mutant) throw error;
    process.stderr.write(`mutant ${mutant}, already killed by a test: ${(error as Error).message}\n`);
  }
}
