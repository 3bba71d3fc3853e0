/**
 * The outcome of each rule on an implementation, judged from a run's results and the
 * implementation's known failures (spec/expectations/<implementation>.json, or the file the user
 * gives). The kit's runner returns these rows; `npm run report` tabulates them.
 *
 * Outcomes of a rule on an implementation:
 * - pass: its tests ran and none failed, and none of them is a listed known failure;
 * - expected failure: none failed, and some are listed and failed as listed (inside Jest, the kit
 *   turns such a test into a pass: describe-rule.ts);
 * - unexpected pass: its only failures are listed tests that passed ("unexpected pass: ...");
 * - fail: any other failure of a test or of its spec file (load error, afterAll leak check), no test
 *   of the rule ran, the run produced no results, or an expectation names a test that is not in the
 *   results (renamed or removed; checked unless extra Jest arguments filtered the run);
 * - not yet specified: a planned rule;
 * - unsupported: the rule needs an optional member the adapter lacks (its capabilities say so, e.g.
 *   no Lock()); its tests were not run (one checked that the member is missing), and the reason names it.
 * Failures of the run as a whole (the global teardown's leak check, a spec file outside any rule,
 * Jest failing without results) are one more row, rule "(run)".
 */
import { basename, dirname } from 'node:path';
import type { Expectation } from '../spec/harness/expectations';
import { RULES, type Rule } from '../spec/rules/catalogue';
import { cleanMessage, emptyRuleResult, firstLine, oneLine, ruleOfKey, type Failure } from './results';
import type { RunResult } from './run-jest';

export type Outcome = 'pass' | 'fail' | 'expected failure' | 'unexpected pass' | 'unsupported' | 'not yet specified';

/** What happened in this run to a test listed as a known failure. */
export type ListedOutcome =
  | 'failed as listed'
  | 'passed (unexpected pass)'
  | 'failed otherwise than listed'
  | 'skipped'
  | 'not in the results'
  | 'not run (filtered run)'
  | 'no results';

export interface ExpectedFailure {
  test: string;
  reason: string;
  /** The piece of the failure's first line the listing expects. */
  failure: string;
  thisRun: ListedOutcome;
}

export interface Row {
  /** A rule id, or "(run)" for the run as a whole. */
  rule: string;
  implementation: string;
  outcome: Outcome;
  tests: { passed: number; failed: number; skipped: number };
  /** One line: why it failed, or the reasons of its expected failures. */
  reason?: string;
  /** Every failure (test-level and file-level), messages without stack frames. */
  failures?: { kind: Failure['kind'] | 'run' | 'expectations'; test?: string; file?: string; message: string; childOutput?: string }[];
  /** The tests of this rule listed as known failures of this implementation, with their reasons. */
  expectedFailures?: ExpectedFailure[];
}

export const RUN_ROW = '(run)';

/** The name an adapter choice reports itself by, which names its expectations file. */
export function implementationName(choice: string): string {
  const [module = '', method] = choice.split(':');
  if (module === 'ours') return 'ours';
  if (module === 'cpython') return `cpython-${method ?? 'fork'}`;
  if (module === 'broken') return choice;
  // A path: its file name without extension (its folder's name for an index file), then the method.
  const file = basename(module).replace(/\.[cm]?[jt]s$/, '');
  const base = file === 'index' ? basename(dirname(module)) : file;
  return method ? `${base}-${method}` : base;
}

const UNEXPECTED_PASS = /^(?:[\w$.]+: )?unexpected pass:/;
export const isUnexpectedPass = (message: string): boolean => UNEXPECTED_PASS.test(firstLine(message));

function listedOutcome(run: RunResult, test: string): ListedOutcome {
  if (!run.complete) return 'no results';
  const found = run.tests.filter((t) => t.key === test);
  if (found.length === 0) return run.filtered ? 'not run (filtered run)' : 'not in the results';
  if (found.some((t) => t.status === 'failed')) {
    const failed = found.find((t) => t.status === 'failed')!;
    return isUnexpectedPass(failed.messages.join('\n')) ? 'passed (unexpected pass)' : 'failed otherwise than listed';
  }
  return found.every((t) => t.status === 'passed') ? 'failed as listed' : 'skipped';
}

const STALE = (test: string): string =>
  `the expectations list '${test}', which is not in the results: renamed or removed? (update the expectations file)`;

/** The outcome of one rule on one implementation (see the file comment). */
export function judgeRule(rule: Rule, implementation: string, run: RunResult, expectations: ReadonlyMap<string, Expectation>): Row {
  const counts = run.byRule.get(rule.id) ?? emptyRuleResult();
  const tests = { passed: counts.passed, failed: counts.failed, skipped: counts.skipped };
  const listed: ExpectedFailure[] = [...expectations]
    .filter(([test]) => ruleOfKey(test) === rule.id)
    .map(([test, e]) => ({ test, reason: e.reason, failure: e.failure, thisRun: listedOutcome(run, test) }));
  const row = (outcome: Outcome, reason?: string, failures?: Row['failures']): Row => ({
    rule: rule.id,
    implementation,
    outcome,
    tests,
    ...(reason !== undefined ? { reason } : {}),
    ...(failures ? { failures } : {}),
    ...(listed.length > 0 ? { expectedFailures: listed } : {}),
  });
  if (rule.status === 'planned') return row('not yet specified');

  const failures: NonNullable<Row['failures']> = counts.failures.map((f) => ({
    kind: f.kind,
    ...(f.test ? { test: f.test } : {}),
    file: f.file,
    message: cleanMessage(f.message),
    ...(f.childOutput ? { childOutput: f.childOutput } : {}),
  }));
  if (run.complete && counts.unsupported !== undefined && counts.passed + counts.failed === 0 && counts.failures.length === 0) {
    return row('unsupported', counts.unsupported);
  }
  if (!run.complete) failures.push({ kind: 'run', message: 'the run produced no results (see the run-level failures)' });
  else if (counts.passed + counts.failed === 0 && counts.failures.length === 0)
    failures.push({ kind: 'run', message: 'no test of this rule ran' });
  for (const stale of listed.filter((e) => e.thisRun === 'not in the results'))
    failures.push({ kind: 'expectations', message: STALE(stale.test) });

  if (failures.length > 0) {
    const onlyUnexpectedPasses = failures.every((f) => (f.kind === 'test' || f.kind === 'file') && isUnexpectedPass(f.message));
    const shown = failures.map(
      (f) => (f.test ? `${f.test}: ` : f.kind === 'file' ? `${f.file} (outside its tests): ` : '') + firstLine(f.message),
    );
    const reason = shown.length > 1 ? `${shown[0]} (and ${shown.length - 1} more)` : shown[0]!;
    return row(onlyUnexpectedPasses ? 'unexpected pass' : 'fail', reason, failures);
  }
  const asListed = listed.filter((e) => e.thisRun === 'failed as listed');
  if (asListed.length > 0) return row('expected failure', asListed.map((e) => `${e.test}: ${e.reason}`).join('; '));
  return row('pass');
}

/** The run as a whole on one implementation: its run-level failures, and expectations of rules that are not specified. */
export function judgeRun(implementation: string, run: RunResult, expectations: ReadonlyMap<string, Expectation>): Row {
  const specified = new Set(RULES.filter((r) => r.status === 'specified').map((r) => r.id));
  const failures: NonNullable<Row['failures']> = run.runFailures.map((message) => ({ kind: 'run', message }));
  for (const test of expectations.keys()) {
    const rule = ruleOfKey(test);
    if (!rule || !specified.has(rule))
      failures.push({ kind: 'expectations', message: `the expectations list '${test}', but ${rule ?? '?'} is no specified rule` });
  }
  const tests = { passed: 0, failed: 0, skipped: 0 };
  for (const t of run.tests) {
    if (t.status === 'passed') tests.passed++;
    else if (t.status === 'failed') tests.failed++;
    else tests.skipped++;
  }
  if (failures.length === 0) return { rule: RUN_ROW, implementation, outcome: 'pass', tests };
  const reason = oneLine(failures[0]!.message) + (failures.length > 1 ? ` (and ${failures.length - 1} more)` : '');
  return { rule: RUN_ROW, implementation, outcome: 'fail', tests, reason, failures };
}
