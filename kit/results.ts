/**
 * Runs the suite once for one adapter choice and reads what happened, per rule (for report and prove).
 * Nothing a run reports is dropped; where each kind of failure shows up, and where it lands here:
 *
 * - a test failed: its assertion result; every failure message is kept (`Failure.kind` 'test').
 *   A beforeAll hook that throws fails every test of its file, so it lands here too.
 * - a spec file failed outside its tests (it did not load, or an afterAll hook threw, such as the
 *   leak check of spec/harness/leaks.ts): a "● Test suite failed to run" block of the file's failure
 *   message. It counts against the rule named by the file, spec/<section>/<ID>.<behaviour>.spec.ts
 *   (`Failure.kind` 'file'); a failing file that names no rule is a run-level failure.
 * - the run failed as a whole (the global teardown found a leak, a global hook threw, Jest crashed or
 *   exited non-zero with no failure to show for it): `RunResult.runFailures`.
 *
 * When the global teardown throws, Jest writes no --json output at all, so the results come from
 * this module's default export instead: a Jest reporter, which Jest calls before the teardown.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { REPO_ROOT } from '../spec/harness/paths';

/** Where the reporter below writes the results (set by runRules for the Jest process it starts). */
const RESULTS_FILE_ENV = 'KIT_JEST_RESULTS_FILE';
const STDERR_TAIL_LINES = 30;
/** Jest's stderr kept in memory (the end of it): enough for any tail, bounded for a chatty run. */
const STDERR_KEPT_CHARS = 1 << 20;

/** The subset of Jest's --json format this module reads (its reporter writes the same shape). */
export interface JestAssertion {
  ancestorTitles: string[];
  title: string;
  fullName?: string;
  status: string;
  failureMessages: string[];
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
  /** The spec file, relative to the repository. */
  file: string;
  /** The test, as expectations name it: `<rule id> › <test title>` (test failures only). */
  test?: string;
  /** The whole message: every failure message of the test, without terminal colours. */
  message: string;
}

export interface TestOutcome {
  rule?: string;
  /** `<rule id> › <test title>`, the key of spec/expectations/<adapter>.json; Jest's full name when no rule. */
  key: string;
  file: string;
  /** Jest's status: passed, failed, pending, skipped, todo... */
  status: string;
  messages: string[];
}

export interface RuleResult {
  passed: number;
  failed: number;
  /** Tests that did not run (filtered out by -t, skipped, todo). */
  skipped: number;
  /** Why the rule's tests did not run, when the adapter lacks a member it needs (describe-rule.ts). */
  unsupported?: string;
  /** Test failures and file-level failures, in the order Jest reported them. */
  failures: Failure[];
}

export interface RunResult {
  choice: string;
  /** The rules asked for (undefined: the whole suite). */
  rules?: string[];
  /** True when only part of the suite was run (rules or extra Jest arguments). */
  filtered: boolean;
  /** The arguments given to Jest beyond the project selection. */
  jestArgs: string[];
  /** False when Jest produced no readable results: then byRule and tests are empty. */
  complete: boolean;
  /** How Jest ended: `status 0`, `status 1`, `signal SIGKILL`, or why it could not start. */
  exit: string;
  tests: TestOutcome[];
  byRule: Map<string, RuleResult>;
  /** Failures of the run as a whole, each a complete message (possibly several lines). */
  runFailures: string[];
  /** The last lines of Jest's stderr. */
  stderrTail: string;
}

export interface RunOptions {
  /** Run only these rules' tests (`-t '^(P1|P7): '` and their spec files). */
  rules?: string[];
  /** More Jest arguments (a run with any is `filtered`). */
  jestArgs?: string[];
  /** Stream Jest's own output to stderr (quiet by default: it is captured, and its tail kept). */
  verbose?: boolean;
  /** Extra environment for the Jest process. */
  env?: Record<string, string>;
}

// eslint-disable-next-line no-control-regex -- terminal colour codes are exactly what is removed
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;
export const stripAnsi = (text: string): string => text.replace(ANSI, '');

const RULE_OF_TITLE = /^([A-Z]+\d+): /;
const RULE_OF_FILE = /^([A-Z]+\d+)\.[^/\\]+\.spec\.ts$/;

/** The rule a spec file checks, from its name: spec/<section>/<ID>.<behaviour>.spec.ts. */
export function ruleOfFile(path: string): string | undefined {
  return RULE_OF_FILE.exec(basename(path))?.[1];
}

/** The rule of an expectation key or test key, `<rule id> › <test title>`. */
export function ruleOfKey(key: string): string | undefined {
  return /^([A-Z]+\d+) › /.exec(key)?.[1];
}

/** A stack frame line (`    at f (file:1:2)`) or a line of Jest's code frame (`> 12 | code`, `   |   ^`). */
const NOISE = /^\s+at .*(?::\d+(?::\d+)?\)?|\(<anonymous>\)|\(native\)|\(index \d+\))$|^\s*>?\s*\d*\s+\|/;

/** A failure message without its stack frames and code frames: what a reader (and a catch pattern) looks at. */
export function cleanMessage(message: string): string {
  const lines = stripAnsi(message)
    .split('\n')
    .filter((line) => !NOISE.test(line))
    .map((line) => line.trimEnd());
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

/** Reads Jest's results (its --json format, or this module's reporter's) into tests, rules and run-level failures. */
export function interpretResults(
  results: JestResults,
  root = REPO_ROOT,
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
      const rule = RULE_OF_TITLE.exec(test.ancestorTitles[0] ?? '')?.[1] ?? fileRule;
      const fullName = test.fullName ?? [...test.ancestorTitles, test.title].join(' ');
      const key = rule ? `${rule} › ${test.title}` : fullName;
      const messages = test.failureMessages.map(stripAnsi);
      tests.push({ ...(rule ? { rule } : {}), key, file: path, status: test.status, messages });
      if (test.status === 'failed') {
        const message = messages.join('\n\n') || '(Jest gave no failure message)';
        if (rule) {
          of(rule).failed++;
          of(rule).failures.push({ kind: 'test', file: path, test: key, message });
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
    for (const message of blocks) {
      if (fileRule) of(fileRule).failures.push({ kind: 'file', file: path, message });
      else runFailures.push(`${path} failed outside its tests, and its name gives no rule: ${message}`);
    }
  }
  if (results.wasInterrupted) runFailures.push('the run was interrupted before it ended');
  return { tests, byRule, runFailures };
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Jest arguments that run only the given rules: their tests (anchored: P1 does not match P10) in their spec files. */
export function ruleFilterArgs(rules: readonly string[]): string[] {
  const ids = rules.map(escapeRegExp).join('|');
  return [`--testNamePattern=^(${ids}): `, `--testPathPatterns=/(${ids})\\.[^/]+\\.spec\\.ts$`];
}

const quote = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

/** "adapter choice 'x', rules P1, P7 (Jest arguments: ...)": what a run was, for messages. */
export function describeRun(run: Pick<RunResult, 'choice' | 'rules' | 'jestArgs'>): string {
  const rules = run.rules ? `rules ${run.rules.join(', ')}` : 'the whole suite';
  const args = run.jestArgs.length > 0 ? ` (Jest arguments: ${run.jestArgs.map(quote).join(' ')})` : '';
  return `adapter choice '${run.choice}', ${rules}${args}`;
}

function tail(text: string, lines: number): string {
  return stripAnsi(text).trimEnd().split('\n').slice(-lines).join('\n');
}

interface JestExit {
  exit: string;
  ok: boolean;
  stderr: string;
}

function runJest(args: string[], env: NodeJS.ProcessEnv, verbose: boolean): Promise<JestExit> {
  return new Promise((resolve) => {
    let stderr = '';
    let settled = false;
    const done = (exit: string, ok: boolean): void => {
      if (settled) return;
      settled = true;
      resolve({ exit, ok, stderr });
    };
    const child = spawn(process.execPath, [require.resolve('jest/bin/jest'), ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Jest reports on stderr; stdout belongs to the caller's own output (prove's table), so Jest's goes to stderr.
    child.stdout.on('data', (chunk: Buffer) => {
      if (verbose) process.stderr.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (verbose) process.stderr.write(chunk);
      stderr += chunk.toString('utf8');
      if (stderr.length > 2 * STDERR_KEPT_CHARS) stderr = stderr.slice(-STDERR_KEPT_CHARS);
    });
    child.on('error', (error) => done(`could not start Jest: ${error.message}`, false));
    child.on('close', (code, signal) => done(signal ? `signal ${signal}` : `status ${code}`, code === 0));
  });
}

/** The reporter module Jest loads: this file, compiled (Jest requires reporters as plain JavaScript). */
function reporterPath(): string {
  return __filename.endsWith('.ts') ? join(REPO_ROOT, 'dist', 'scripts', 'run-jest-json.js') : __filename;
}

/** Runs the suite (or some rules of it) against one adapter choice, sequentially, and reads everything that failed. */
export async function runRules(choice: string, options: RunOptions = {}): Promise<RunResult> {
  const { rules, verbose = false, env = {} } = options;
  const jestArgs = [...(rules ? ruleFilterArgs(rules) : []), ...(options.jestArgs ?? [])];
  const dir = mkdtempSync(join(tmpdir(), 'mp-kit-results-'));
  const out = join(dir, 'results.json');
  const base = { choice, ...(rules ? { rules } : {}), filtered: jestArgs.length > 0, jestArgs };
  try {
    const jest = await runJest(
      ['--selectProjects', choice, '--reporters=default', `--reporters=${reporterPath()}`, ...jestArgs],
      { ...process.env, ...env, KIT_ADAPTERS: choice, [RESULTS_FILE_ENV]: out },
      verbose,
    );
    const stderrTail = tail(jest.stderr, STDERR_TAIL_LINES);
    const hook = globalHookFailure(jest.stderr);
    let results: JestResults;
    try {
      results = JSON.parse(readFileSync(out, 'utf8')) as JestResults;
      if (!Array.isArray(results.testResults)) throw new Error('it holds no testResults');
    } catch (error) {
      const why =
        (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'Jest wrote no results' : `unreadable results (${(error as Error).message})`;
      const message = [
        `no results for ${describeRun(base)}: ${why}; Jest ended with ${jest.exit}.`,
        ...(hook ? [hook] : []),
        `Last ${STDERR_TAIL_LINES} lines of Jest's stderr:`,
        indent(stderrTail || '(empty)'),
      ].join('\n');
      return { ...base, complete: false, exit: jest.exit, tests: [], byRule: new Map(), runFailures: [message], stderrTail };
    }
    const { tests, byRule, runFailures } = interpretResults(results);
    if (hook) runFailures.push(hook);
    const anyFailure = runFailures.length > 0 || [...byRule.values()].some((r) => r.failures.length > 0);
    if (!jest.ok && !anyFailure) {
      runFailures.push(
        `Jest ended with ${jest.exit} although no test failed (${describeRun(base)}). Last ${STDERR_TAIL_LINES} lines of its stderr:\n${indent(stderrTail || '(empty)')}`,
      );
    }
    return { ...base, complete: true, exit: jest.exit, tests, byRule, runFailures, stderrTail };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const indent = (text: string, by = '    '): string =>
  text
    .split('\n')
    .map((line) => by + line)
    .join('\n');

/* ---- The Jest reporter (this module's default export): the results, written before the global teardown runs. ---- */

interface AggregatedLike {
  testResults: {
    testFilePath: string;
    failureMessage?: string | null;
    testExecError?: { message?: unknown; stack?: unknown };
    testResults: JestAssertion[];
  }[];
  wasInterrupted?: boolean;
}

export default class ResultsFileReporter {
  onRunComplete(_contexts: unknown, aggregated: AggregatedLike): void {
    const file = process.env[RESULTS_FILE_ENV];
    if (!file) return;
    const results: JestResults = {
      testResults: aggregated.testResults.map((r) => ({
        name: r.testFilePath,
        message: r.failureMessage ?? '',
        ...(r.testExecError
          ? { testExecError: { message: String(r.testExecError.message ?? ''), stack: String(r.testExecError.stack ?? '') } }
          : {}),
        assertionResults: r.testResults.map((t) => ({
          ancestorTitles: t.ancestorTitles,
          title: t.title,
          fullName: t.fullName,
          status: t.status,
          failureMessages: t.failureMessages,
        })),
      })),
      wasInterrupted: Boolean(aggregated.wasInterrupted),
    };
    writeFileSync(file, JSON.stringify(results));
  }
}
