/**
 * Test order for mutation runs. Stryker runs a mutant by running Jest over every test file with a
 * `testNamePattern` naming the tests that cover it; Jest would still load every file. Here, once
 * the dry run has recorded which tests each file holds (bail-environment.cjs), a mutant run drops
 * the files none of whose tests match, and runs the rest cheapest first (the sum of the matching
 * tests' dry-run durations, plus the file's own setup), so that a killing test is reached soon.
 * A file the dry run did not see is kept, and runs last.
 *
 * With MUTATE_RUN_LOG=<file>, each run appends one JSON line: the mutant, its time, and the test
 * files and tests it ran (to find the mutants that cost most).
 */
const { appendFileSync } = require('node:fs');
const { performance } = require('node:perf_hooks');
const Sequencer = require('@jest/test-sequencer').default;
const { activeMutant, load, save } = require('./run-state.cjs');

class MutationSequencer extends Sequencer {
  #pattern;
  #rootDir;
  #started = performance.now();

  constructor(options) {
    super(options);
    const { testNamePattern, rootDir } = options.globalConfig;
    this.#pattern = testNamePattern ? new RegExp(testNamePattern, 'i') : undefined;
    this.#rootDir = rootDir;
  }

  sort(tests) {
    const state = load(this.#rootDir);
    state.killed = undefined; // a new run: no test has failed under it yet
    if (activeMutant() === undefined) return super.sort(tests);
    const cost = (test) => {
      const seen = state.tests[test.path];
      if (!seen) return Infinity;
      let ms = 0;
      let matched = false;
      seen.names.forEach((name, i) => {
        if (this.#pattern && !this.#pattern.test(name)) return;
        matched = true;
        ms += seen.ms[i];
      });
      return matched ? seen.overheadMs + ms : undefined;
    };
    return tests
      .map((test) => ({ test, ms: cost(test) }))
      .filter(({ ms }) => ms !== undefined)
      .sort((a, b) => (a.ms === b.ms ? (a.test.path < b.test.path ? -1 : 1) : a.ms - b.ms))
      .map(({ test }) => test);
  }

  cacheResults(tests, results) {
    save(this.#rootDir);
    const log = process.env.MUTATE_RUN_LOG;
    if (log) {
      const ran = results.testResults.filter((file) => file.numPassingTests + file.numFailingTests > 0);
      const line = {
        mutant: activeMutant() ?? null,
        ms: Math.round(performance.now() - this.#started),
        files: ran.map((file) => file.testFilePath.slice(this.#rootDir.length + 1)),
        tests: results.numPassedTests + results.numFailedTests,
        failed: results.numFailedTests,
      };
      appendFileSync(log, `${JSON.stringify(line)}\n`);
    }
    if (activeMutant() === undefined) super.cacheResults(tests, results);
  }
}

module.exports = MutationSequencer;
