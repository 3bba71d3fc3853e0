// Prints the plain closing line CI reads, "N passed, N failed", counting tests only (", N
// unsupported" for the rules the adapter lacks a member for, whose describe title says
// "[unsupported: ...]" and whose one test checks that claim (describe-rule.ts): counted apart,
// never as passed; ", N skipped" for any skipped test), as the very last line: at process exit, after Jest's own summary and the
// global teardown. Failures outside any test (a spec file that cannot load, an afterAll leak check,
// the global teardown) are counted apart, ", N failures outside tests", so the line never claims a
// clean run that was not: a run that exits non-zero always shows at least one failure.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const isUnsupported = (test) => test.status === 'passed' && /\[unsupported: /.test(test.ancestorTitles[0] ?? '');
    const unsupported = results.testResults.flatMap((file) => file.testResults).filter(isUnsupported).length;
    const skipped = results.numPendingTests + results.numTodoTests;
    const outside = results.testResults.filter(
      (file) => Boolean(file.testExecError) || /Test suite failed to run/.test(file.failureMessage ?? ''),
    ).length;
    process.once('exit', (code) => {
      const unexplained = code !== 0 && results.numFailedTests === 0 && outside === 0 ? 1 : 0;
      const parts = [`${results.numPassedTests - unsupported} passed`, `${results.numFailedTests} failed`];
      if (unsupported) parts.push(`${unsupported} unsupported`);
      if (skipped) parts.push(`${skipped} skipped`);
      if (outside + unexplained) parts.push(`${outside + unexplained} failure${outside + unexplained === 1 ? '' : 's'} outside tests`);
      process.stdout.write(`\n${parts.join(', ')}\n`);
    });
  }
}
module.exports = SummaryReporter;
