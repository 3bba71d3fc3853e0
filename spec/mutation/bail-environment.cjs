/**
 * The Node test environment, plus a bail for mutation runs: once a test has failed under the
 * active mutant, every later test of that run is skipped, in this file and the next ones, with
 * their beforeAll hooks. A mutant is killed by its first failing test, so the verdict is the same;
 * only its cost changes. Stryker's Jest runner turns Jest's own `bail` off (Jest cannot bail when
 * run programmatically), and without this a killed mutant costs as much as a surviving one: every
 * spec that covers it, each starting real processes.
 *
 * In the dry run it records every test's full name and duration (see run-state.cjs).
 */
const { performance } = require('node:perf_hooks');
const { TestEnvironment } = require('jest-environment-node');
const { activeMutant, runState } = require('./run-state.cjs');

/** Jest's full name of a test, as Stryker's test ids and `testNamePattern` use it. */
function fullName(block, title) {
  const names = [];
  for (let b = block; b && b.parent; b = b.parent) names.unshift(b.name);
  return [...names, title].join(' ');
}

function skipAll(block) {
  block.mode = 'skip';
  for (const child of block.children) {
    if (child.type === 'describeBlock') skipAll(child);
    else child.mode = 'skip';
  }
}

class BailEnvironment extends TestEnvironment {
  #testPath;
  #started = 0;
  #fileStarted = 0;
  #record = undefined;

  constructor(config, context) {
    super(config, context);
    this.#testPath = context.testPath;
  }

  async handleTestEvent(event, circusState) {
    const state = runState();
    const mutant = activeMutant();
    const bailed = mutant !== undefined && state.killed === mutant;
    switch (event.name) {
      case 'run_start':
        if (bailed) skipAll(circusState.rootDescribeBlock);
        if (mutant === undefined) {
          this.#fileStarted = performance.now();
          this.#record = { names: [], ms: [], overheadMs: 0 };
        }
        break;
      case 'run_describe_start':
        if (bailed) skipAll(event.describeBlock);
        break;
      case 'test_start':
        if (bailed) event.test.mode = 'skip';
        this.#started = performance.now();
        break;
      case 'test_done':
        if (mutant !== undefined && event.test.errors.length > 0) state.killed = mutant;
        if (this.#record) {
          this.#record.names.push(fullName(event.test.parent, event.test.name));
          this.#record.ms.push(Math.round(performance.now() - this.#started));
        }
        break;
      case 'run_finish':
        if (this.#record) {
          const total = performance.now() - this.#fileStarted;
          this.#record.overheadMs = Math.max(0, Math.round(total - this.#record.ms.reduce((a, b) => a + b, 0)));
          state.tests[this.#testPath] = this.#record;
          state.saved = false;
          this.#record = undefined;
        }
        break;
    }
  }
}

module.exports = BailEnvironment;
