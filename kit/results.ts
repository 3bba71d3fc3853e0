/**
 * What a run of the suite reported, read per rule and per test (for the kit's runner, the CLI,
 * `npm run report` and `npm run prove`). Nothing a run reports is dropped; where each kind of
 * failure shows up, and where it lands here:
 *
 * - a test failed: its assertion result; every failure message is kept (`Failure.kind` 'test').
 *   A beforeAll hook that throws fails every test of its file, so it lands here too.
 * - a spec file failed outside its tests (it did not load, or an afterAll hook threw, such as the
 *   leak check of spec/harness/leaks.ts): a "● Test suite failed to run" block of the file's failure
 *   message. It counts against the rule named by the file, spec/<section>/<ID>.<behaviour>.spec.[tj]s
 *   (`Failure.kind` 'file'); a failing file that names no rule is a run-level failure.
 * - the run failed as a whole (the global teardown found a leak, a global hook threw, Jest crashed or
 *   exited non-zero with no failure to show for it): `RunResult.runFailures`.
 */
import { basename, relative } from 'node:path';
import { REPO_ROOT } from '../spec/harness/paths';

/** The subset of Jest's --json format this module reads (the kit's reporter writes the same shape). */
export interface JestAssertion {
  ancestorTitles: string[];
  title: string;
  fullName?: string;
  status: string;
  failureMessages: string[];
  duration?: number | null;
}
export interface JestFile {
  name: string;
  /** Jest's failure message for the whole file: one "  ● <title>" block per failure. */
  message: string;
  testExecError?: { message?: string; stack?: string };
  assertionResults: JestAssertion[];
}
export interface JestResults {
  testResults: JestFile[];
  wasInterrupted?: boolean;
}

export interface Failure {
  /** 'test': a test failed. 'file': its spec file failed outside any test (load error, afterAll hook). */
  kind: 'test' | 'file';
  /** The spec file, relative to the kit's root. */
  file: string;
  /** The test, as expectations name it: `<rule id> › <test title>` (test failures only). */
  test?: string;
  /** The whole message: every failure message of the test, without terminal colours. */
  message: string;
  /** What the processes it started wrote on stderr meanwhile (a traceback, a stack), trimmed: when it failed. */
  childOutput?: string;
}

export interface TestOutcome {
  rule?: string;
  /** `<rule id> › <test title>`, the key of spec/expectations/<adapter>.json; Jest's full name when no rule. */
  key: string;
  file: string;
  /** Jest's status: passed, failed, pending, skipped, todo... */
  status: string;
  messages: string[];
  /** Milliseconds, as Jest measured them. */
  duration?: number;
  /** See Failure.childOutput. */
  childOutput?: string;
}

export interface RuleResult {
  passed: number;
  failed: number;
  /** Tests that did not run (filtered out, skipped, todo). */
  skipped: number;
  /** Why the rule's tests did not run, when the adapter lacks a member it needs (describe-rule.ts). */
  unsupported?: string;
  /** Test failures and file-level failures, in the order Jest reported them. */
  failures: Failure[];
}

// eslint-disable-next-line no-control-regex -- terminal colour codes are exactly what is removed
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;
export const stripAnsi = (text: string): string => text.replace(ANSI, '');

const RULE_OF_TITLE = /^([A-Z]+\d+): /;
const RULE_OF_FILE = /^([A-Z]+\d+)\.[^/\\]+\.spec\.[jt]s$/;

/** The rule a spec file checks, from its name: spec/<section>/<ID>.<behaviour>.spec.ts (or .js, compiled). */
export function ruleOfFile(path: string): string | undefined {
  return RULE_OF_FILE.exec(basename(path))?.[1];
}

/** The rule of an expectation key or test key, `<rule id> › <test title>`. */
export function ruleOfKey(key: string): string | undefined {
  return /^([A-Z]+\d+) › /.exec(key)?.[1];
}

/** A test's rule (from its describe title, else its file) and key, as expectations name it. */
export function keyOf(file: string, test: Pick<JestAssertion, 'ancestorTitles' | 'title' | 'fullName'>): { rule?: string; key: string } {
  const rule = RULE_OF_TITLE.exec(test.ancestorTitles[0] ?? '')?.[1] ?? ruleOfFile(file);
  const key = rule ? `${rule} › ${test.title}` : (test.fullName ?? [...test.ancestorTitles, test.title].join(' '));
  return rule ? { rule, key } : { key };
}

/** A stack frame line (`    at f (file:1:2)`) or a line of Jest's code frame (`> 12 | code`, `   |   ^`). */
const NOISE = /^\s+at .*(?::\d+(?::\d+)?\)?|\(<anonymous>\)|\(native\)|\(index \d+\))$|^\s*>?\s*\d*\s+\|/;

/**
 * A failure message without its stack frames and code frames, nor a `[cause]: ` line that only
 * repeats a line above it (Jest appends the cause, which is often the message itself): what a reader
 * (and a catch pattern) looks at.
 */
export function cleanMessage(message: string): string {
  const seen = new Set<string>();
  const lines = stripAnsi(message)
    .split('\n')
    .filter((line) => !NOISE.test(line))
    .map((line) => line.trimEnd())
    .filter((line) => {
      const cause = /^\s*\[cause\]: (.*)$/.exec(line)?.[1];
      if (cause !== undefined && seen.has(cause.trim())) return false;
      seen.add(line.trim());
      return true;
    });
  return lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The first line of a failure message that says something. */
export function firstLine(message: string): string {
  return (
    cleanMessage(message)
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? ''
  );
}

/** A whole message on one line (a run-level message's first line, "the run leaked:", says too little). */
export const oneLine = (message: string): string =>
  cleanMessage(message)
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');

export const indent = (text: string, by = '    '): string =>
  text
    .split('\n')
    .map((line) => by + line)
    .join('\n');

/** The failures of a spec file outside its tests: the "● Test suite failed to run" blocks of its failure message. */
export function suiteFailureBlocks(fileMessage: string): string[] {
  const blocks: string[] = [];
  let current: string[] | null = null;
  const finish = (lines: string[]): string =>
    lines
      .map((line) => line.replace(/^ {1,4}/, ''))
      .join('\n')
      .trim();
  for (const line of stripAnsi(fileMessage).split('\n')) {
    const header = /^ {2}● (.*)$/.exec(line);
    if (header) {
      if (current) blocks.push(finish(current));
      current = header[1]!.trim() === 'Test suite failed to run' ? [] : null;
    } else {
      current?.push(line);
    }
  }
  if (current) blocks.push(finish(current));
  return blocks;
}

/** A failed global hook as Jest prints it on stderr ("Got error running globalTeardown - <file>, reason: ..."). */
export function globalHookFailure(stderr: string, root = REPO_ROOT): string | null {
  const match = /Got error running (global\w+) - (.+?), reason: ([\s\S]*?)(?=\n\s+at |\n\s*\n|\s*$)/.exec(stripAnsi(stderr));
  if (!match) return null;
  return `${match[1]} (${relative(root, match[2]!)}) failed: ${match[3]!.trim()}`;
}

/** The reason describe-rule.ts puts in the title of a rule the adapter cannot run. */
const UNSUPPORTED = /\[unsupported: (.+)\]$/;

export function emptyRuleResult(): RuleResult {
  return { passed: 0, failed: 0, skipped: 0, failures: [] };
}

/**
 * Reads Jest's results (the kit reporter's, or Jest's --json format) into tests, rules and run-level
 * failures. `childOutput` gives what the processes of a failed test wrote on stderr (by test key,
 * and by file for failures outside tests).
 */
export function interpretResults(
  results: JestResults,
  root = REPO_ROOT,
  childOutput: ReadonlyMap<string, string> = new Map(),
): { tests: TestOutcome[]; byRule: Map<string, RuleResult>; runFailures: string[] } {
  const tests: TestOutcome[] = [];
  const byRule = new Map<string, RuleResult>();
  const runFailures: string[] = [];
  const of = (rule: string): RuleResult => {
    let result = byRule.get(rule);
    if (!result) byRule.set(rule, (result = emptyRuleResult()));
    return result;
  };
  for (const file of results.testResults) {
    const path = relative(root, file.name);
    const fileRule = ruleOfFile(file.name);
    for (const test of file.assertionResults) {
      const { rule, key } = keyOf(file.name, test);
      const fullName = test.fullName ?? [...test.ancestorTitles, test.title].join(' ');
      const messages = test.failureMessages.map(stripAnsi);
      const output = test.status === 'failed' ? childOutput.get(key) : undefined;
      const extra = {
        ...(typeof test.duration === 'number' ? { duration: test.duration } : {}),
        ...(output ? { childOutput: output } : {}),
      };
      tests.push({ ...(rule ? { rule } : {}), key, file: path, status: test.status, messages, ...extra });
      if (test.status === 'failed') {
        const message = messages.join('\n\n') || '(Jest gave no failure message)';
        if (rule) {
          of(rule).failed++;
          of(rule).failures.push({ kind: 'test', file: path, test: key, message, ...(output ? { childOutput: output } : {}) });
        } else {
          runFailures.push(`${path}: test '${fullName}', which belongs to no rule, failed: ${message}`);
        }
      } else if (rule) {
        // A rule the adapter cannot run has one passing test, the check of that claim: unsupported, not passed.
        const unsupported = UNSUPPORTED.exec(test.ancestorTitles[0] ?? '')?.[1];
        if (unsupported !== undefined && test.status === 'passed') of(rule).unsupported = unsupported;
        else if (test.status === 'passed') of(rule).passed++;
        else of(rule).skipped++;
      }
    }
    let blocks = suiteFailureBlocks(file.message ?? '');
    if (blocks.length === 0 && file.testExecError && (file.testExecError.message || file.testExecError.stack)) {
      blocks = [stripAnsi(file.testExecError.message || file.testExecError.stack || '')];
    }
    const output = childOutput.get(file.name);
    for (const message of blocks) {
      if (fileRule) of(fileRule).failures.push({ kind: 'file', file: path, message, ...(output ? { childOutput: output } : {}) });
      else runFailures.push(`${path} failed outside its tests, and its name gives no rule: ${message}`);
    }
  }
  if (results.wasInterrupted) runFailures.push('the run was interrupted before it ended');
  return { tests, byRule, runFailures };
}
