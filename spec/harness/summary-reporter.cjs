// Prints the plain closing line CI reads, "N passed, N failed" (", N skipped" when any were skipped),
// as the very last line: at process exit, after Jest's own summary and the global teardown. A run
// that exits non-zero with no failed test (a failing teardown: a leak) never claims 0 failed.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    process.once('exit', (code) => {
      const shown = code !== 0 && failed === 0 ? 1 : failed;
      process.stdout.write(`\n${results.numPassedTests} passed, ${shown} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
    });
  }
}
module.exports = SummaryReporter;
