/**
 * The plain closing line CI reads, "N passed, N failed", counting tests only: ", N unsupported" for
 * the rules the adapter lacks a member for (their describe title says "[unsupported: ...]" and their
 * one test checks that claim, describe-rule.ts: counted apart, never as passed); ", N skipped" for
 * any skipped test; failures outside any test (a spec file that cannot load, an afterAll leak check,
 * the global teardown) counted apart, ", N failures outside tests", so the line never claims a clean
 * run that was not. The kit's CLI prints it from its runner's counts; `npm test` through this
 * module's default export, a Jest reporter that prints it as the very last line, at process exit,
 * after Jest's own summary and the global teardown (a run that exits non-zero always shows at least
 * one failure).
 */

export interface Counts {
  passed: number;
  failed: number;
  unsupported: number;
  skipped: number;
  /** Failures outside any test: spec files that failed to run or whose afterAll failed, and run-level failures. */
  outsideTests: number;
}

/** The subset of Jest's aggregated results the counts come from. */
export interface AggregatedLike {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: {
    testExecError?: unknown;
    failureMessage?: string | null;
    testResults: { status: string; ancestorTitles: string[] }[];
  }[];
}

const isUnsupported = (test: { status: string; ancestorTitles: string[] }): boolean =>
  test.status === 'passed' && /\[unsupported: /.test(test.ancestorTitles[0] ?? '');

/** A file that failed outside its tests: it did not load, or a hook outside any test failed. */
export const failedOutsideTests = (file: AggregatedLike['testResults'][number]): boolean =>
  Boolean(file.testExecError) || /Test suite failed to run/.test(file.failureMessage ?? '');

export function countResults(results: AggregatedLike): Counts {
  const unsupported = results.testResults.flatMap((file) => file.testResults).filter(isUnsupported).length;
  return {
    passed: results.numPassedTests - unsupported,
    failed: results.numFailedTests,
    unsupported,
    skipped: results.numPendingTests + results.numTodoTests,
    outsideTests: results.testResults.filter(failedOutsideTests).length,
  };
}

export function summaryLine(counts: Counts): string {
  const parts = [`${counts.passed} passed`, `${counts.failed} failed`];
  if (counts.unsupported) parts.push(`${counts.unsupported} unsupported`);
  if (counts.skipped) parts.push(`${counts.skipped} skipped`);
  if (counts.outsideTests) parts.push(`${counts.outsideTests} failure${counts.outsideTests === 1 ? '' : 's'} outside tests`);
  return parts.join(', ');
}

/** `npm test`'s closing line (jest.config.ts). */
export default class SummaryReporter {
  onRunComplete(_contexts: unknown, results: AggregatedLike): void {
    const counts = countResults(results);
    process.once('exit', (code) => {
      // Jest failed without a failure to show for it (a global hook, a crash): one failure outside tests.
      const unexplained = code !== 0 && counts.failed === 0 && counts.outsideTests === 0 ? 1 : 0;
      process.stdout.write(`\n${summaryLine({ ...counts, outsideTests: counts.outsideTests + unexplained })}\n`);
    });
  }
}
