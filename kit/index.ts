/**
 * The kit's programmatic runner, `mp-conformance-kit/kit`: runs the rules' specs against one
 * adapter and returns, per rule and per test, what happened and why (the rows `npm run report`
 * judges). The library, `mp-conformance-kit`, never loads this module or Jest; this module runs
 * Jest in a process of its own (kit/run-jest.ts).
 *
 *   import { run } from 'mp-conformance-kit/kit';
 *   const report = await run({ adapter: './my-adapter.js', rules: ['P1', 'P7'], expected: './known-failures.json' });
 *   report.ok; report.rules[0].outcome; report.rules[0].results[0].message;
 *
 * Before Jest starts, the runner checks what would otherwise fail every spec file alike, and rejects
 * with a KitError naming it: an unknown rule or section (ERR_KIT_USAGE); an adapter that cannot be
 * loaded, has no default export, breaks the contract, or refuses its variant or settings (it is
 * loaded once here, then closed: ERR_KIT_ADAPTER); a missing or malformed expectations file
 * (ERR_KIT_EXPECTED).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BUILT_IN_CHOICES, isBuiltIn, loadAdapter, parseAdapterChoice } from '../spec/harness/load-adapter';
import { loadExpectations, parseExpectations, type Expectation } from '../spec/harness/expectations';
import { REPO_ROOT } from '../spec/harness/paths';
import { RULES, type Rule, type Section } from '../spec/rules/catalogue';
import { KitAdapterError, KitExpectationsError, KitUsageError } from './errors';
import { isUnexpectedPass, judgeRule, judgeRun, RUN_ROW, type Row } from './judge';
import { cleanMessage, ruleOfKey, type TestOutcome } from './results';
import { runRules, type RunResult } from './run-jest';
import { selectRules, SECTIONS } from './select';
import { summaryLine, type Counts } from './summary';
import { registerTypeScript } from './typescript';

export { KitAdapterError, KitError, KitExpectationsError, KitUsageError, type KitErrorCode } from './errors';
export type { Counts } from './summary';
export type { Outcome, ExpectedFailure } from './judge';
export { RULES, SECTIONS };

export interface RunOptions {
  /**
   * The adapter: `ours`, `cpython[:fork|spawn|forkserver]`, `broken:<breakage>`, or the path of a
   * module whose default export is createAdapter (spec/adapter.ts; .js, or .ts with TypeScript
   * installed), relative to the working folder; optionally `:<variant>` and `?key=value&...`.
   */
  adapter: string;
  /** The variant after `:` (CPython's start method: fork, spawn, forkserver). */
  startMethod?: string;
  /** For the Python adapter: the interpreter (pypy3, /usr/bin/python3, ...). */
  python?: string;
  /** For the Python adapter: the implementation's module (billiard, ...). */
  module?: string;
  /** Rule ids, exactly (`['P1', 'P7']` or `'P1,P7'`); default every specified rule. */
  rules?: string | readonly string[];
  /** Whole sections of the catalogue instead (`'process'`, `['lock', 'queue']`). */
  section?: string | readonly string[];
  /** The implementation's known failures (spec/harness/expectations.ts); default the kit's own file for a built-in adapter. */
  expected?: string;
  /** Called once the adapter and the expectations are checked, before Jest starts. */
  onStart?: (start: { adapter: RunReport['adapter']; rules: string[]; expectations: string | null }) => void;
  /** Called as each rule's spec file ends, with its report. */
  onRule?: (rule: RuleReport) => void;
  /** Jest's own output on stderr, as it runs. */
  verbose?: boolean;
  /** More Jest arguments (e.g. `['-t', 'SIGINT']`); the run is then `filtered`. */
  jestArgs?: readonly string[];
  /** More environment for the run (KIT_SEED, KIT_PYTHON, ...). */
  env?: Readonly<Record<string, string>>;
}

export type TestStatus = 'passed' | 'failed' | 'expected failure' | 'unexpected pass' | 'unsupported' | 'skipped';

/** One test of a rule. */
export interface TestResult {
  /** `<rule id> › <test title>`, as expectations files name it. */
  key: string;
  title: string;
  status: TestStatus;
  /** Why it failed: the failure message without stack frames (failed and unexpected-pass tests). */
  message?: string;
  /** What the test's child processes wrote on stderr (a traceback, a stack), trimmed (failed tests). */
  childOutput?: string;
  /** The listing of a known failure: its reason and the failure it must show. */
  expected?: Expectation;
  durationMs?: number;
}

/** One rule: its judged outcome (the report's row) and its tests. */
export interface RuleReport extends Row {
  title: string;
  section: Section;
  results: TestResult[];
  /** Figures the rule's spec reported without asserting them (kit.note). */
  notes: string[];
  durationMs: number | null;
}

export interface RunReport {
  adapter: { choice: string; name: string; description?: string; capabilities: string[] };
  /** The expectations file used, if any. */
  expectations: string | null;
  /** The rules run, in catalogue order. */
  rules: RuleReport[];
  /** The run as a whole (global teardown, Jest itself): outcome pass or fail, with the failures. */
  run: Row;
  counts: Counts;
  /** The closing line, "N passed, N failed" (kit/summary.ts). */
  summary: string;
  /** True when every rule passed or failed only as listed, and nothing failed outside the tests. */
  ok: boolean;
  durationMs: number;
}

/** The adapter choice of the options, paths made absolute (Jest runs elsewhere). */
export function adapterChoice(options: Pick<RunOptions, 'adapter' | 'startMethod' | 'python' | 'module'>): string {
  const [head = '', query] = options.adapter.split('?', 2);
  const [name = '', ...variants] = head.split(':');
  if (name === '') throw new KitUsageError('no adapter given');
  if (variants.length > 1) throw new KitUsageError(`adapter choice '${options.adapter}' has more than one ':variant'`);
  if (variants[0] !== undefined && options.startMethod !== undefined && variants[0] !== options.startMethod) {
    throw new KitUsageError(
      `adapter choice '${options.adapter}' names variant '${variants[0]}', and the start method given is '${options.startMethod}'`,
    );
  }
  const variant = options.startMethod ?? variants[0];
  const settings = new URLSearchParams(query ?? '');
  if (options.python !== undefined) settings.set('python', options.python);
  if (options.module !== undefined) settings.set('module', options.module);
  if (!isBuiltIn(name) && /^[\w-]+$/.test(name) && !resolvable(resolve(name))) {
    throw new KitAdapterError(`'${name}' is no built-in adapter (${BUILT_IN_CHOICES}), and there is no module ./${name}`);
  }
  const base = isBuiltIn(name) ? name : resolve(name);
  return `${base}${variant ? `:${variant}` : ''}${settings.size > 0 ? `?${settings.toString()}` : ''}`;
}

/** Whether require() finds a module at this path (.ts included). */
function resolvable(path: string): boolean {
  registerTypeScript();
  try {
    require.resolve(path);
    return true;
  } catch {
    return false;
  }
}

const LOAD_TIMEOUT_MS = 60_000;

/** Loads the adapter once in this process, as every spec file will, and closes it: what it is, or why it cannot run. */
async function probeAdapter(choice: string): Promise<RunReport['adapter']> {
  if (!isBuiltIn(choice)) registerTypeScript();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`adapter '${choice}' was not ready within ${LOAD_TIMEOUT_MS / 1000} s`)), LOAD_TIMEOUT_MS);
  });
  try {
    const adapter = await Promise.race([loadAdapter(choice), late]);
    const info = {
      choice,
      name: adapter.name,
      ...(adapter.description === undefined ? {} : { description: adapter.description }),
      capabilities: [...adapter.capabilities],
    };
    await Promise.race([adapter.close(), late]);
    return info;
  } catch (error) {
    throw new KitAdapterError(error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(timer);
  }
}

/** Our library's shared objects need its native addon, which an install whose scripts were skipped lacks. */
function checkNativeAddon(choice: string, rules: readonly Rule[]): void {
  const module = parseAdapterChoice(choice).module;
  const oursBased = isBuiltIn(choice) && /[/\\]adapters[/\\](ours|broken)$/.test(module);
  if (!oursBased || !rules.some((r) => (r.needs ?? []).length > 0)) return;
  const addon = join(REPO_ROOT, 'build', 'Release', 'mp_shared_memory.node');
  if (existsSync(addon)) return;
  throw new KitAdapterError(
    `our library's native addon ${addon} was not built, and the shared-object rules need it. npm 11 skips a dependency's install scripts unless they are allowed: ` +
      `npm install-scripts approve mp-conformance-kit && npm rebuild mp-conformance-kit (a C++ toolchain, make and python3 are needed); in a clone: npm ci`,
  );
}

/** The expectations: the file given (checked now), or the kit's own for the adapter's name (none for most). */
function expectationsFor(name: string, file: string | undefined): { file: string | null; entries: Map<string, Expectation> } {
  let entries: Map<string, Expectation>;
  let used: string | null;
  try {
    if (file !== undefined) {
      if (!existsSync(file)) throw new Error(`expectations file ${file} does not exist`);
      entries = parseExpectations(readFileSync(file, 'utf8'), file);
      used = file;
    } else {
      entries = loadExpectations(name);
      used = entries.size > 0 ? (process.env.KIT_EXPECTED ?? join(REPO_ROOT, 'spec', 'expectations', `${name}.json`)) : null;
    }
  } catch (error) {
    throw new KitExpectationsError((error as Error).message);
  }
  const specified = new Set(RULES.filter((r) => r.status === 'specified').map((r) => r.id));
  for (const key of entries.keys()) {
    const rule = ruleOfKey(key);
    if (!rule || !specified.has(rule))
      throw new KitExpectationsError(`expectations file ${used}: '${key}' names ${rule ?? 'no rule'}, which is no specified rule`);
  }
  return { file: used, entries };
}

function statusOf(test: TestOutcome, expected: Expectation | undefined): TestStatus {
  if (test.status === 'failed') return isUnexpectedPass(test.messages.join('\n')) ? 'unexpected pass' : 'failed';
  if (test.status !== 'passed') return 'skipped';
  if (/^[A-Z]+\d+ › unsupported: /.test(test.key)) return 'unsupported';
  return expected ? 'expected failure' : 'passed';
}

function testResult(test: TestOutcome, expectations: ReadonlyMap<string, Expectation>): TestResult {
  const expected = expectations.get(test.key);
  const status = statusOf(test, expected);
  const message = test.messages.length > 0 ? cleanMessage(test.messages.join('\n\n')) : undefined;
  return {
    key: test.key,
    title: test.key.replace(/^[A-Z]+\d+ › /, ''),
    status,
    ...(message ? { message } : {}),
    ...(test.childOutput ? { childOutput: test.childOutput } : {}),
    ...(expected ? { expected } : {}),
    ...(test.duration === undefined ? {} : { durationMs: test.duration }),
  };
}

function notesOf(infoFile: string, rule: string): string[] {
  if (!existsSync(infoFile)) return [];
  return readFileSync(infoFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { rule?: string; note?: string })
    .filter((entry) => entry.rule === rule && entry.note !== undefined)
    .map((entry) => entry.note!);
}

function ruleReport(
  rule: Rule,
  name: string,
  run: RunResult,
  expectations: ReadonlyMap<string, Expectation>,
  infoFile: string,
  durationMs: number | null,
): RuleReport {
  return {
    ...judgeRule(rule, name, run, expectations),
    title: rule.title,
    section: rule.section,
    results: run.tests.filter((t) => t.rule === rule.id).map((t) => testResult(t, expectations)),
    notes: notesOf(infoFile, rule.id),
    durationMs,
  };
}

/** Runs the chosen rules against one adapter (see the file comment). */
export async function run(options: RunOptions): Promise<RunReport> {
  const began = Date.now();
  if (typeof options?.adapter !== 'string') throw new KitUsageError('run({ adapter }): the adapter is a string (ours, cpython, or a path)');
  const choice = adapterChoice(options);
  const selection = selectRules({
    ...(options.rules === undefined ? {} : { rules: options.rules }),
    ...(options.section === undefined ? {} : { section: options.section }),
  });
  checkNativeAddon(choice, selection.rules);
  const expectedFile = options.expected === undefined ? undefined : resolve(options.expected);
  const adapter = await probeAdapter(choice);
  const expectations = expectationsFor(adapter.name, expectedFile);
  options.onStart?.({ adapter, rules: selection.rules.map((r) => r.id), expectations: expectations.file });

  const scratch = mkdtempSync(join(tmpdir(), 'mp-kit-runner-'));
  const infoFile = join(scratch, 'adapter-info.jsonl');
  const jestArgs = [...(options.jestArgs ?? [])];
  try {
    const durations = new Map<string, number | null>();
    const result = await runRules(choice, {
      files: selection.files,
      rules: selection.rules.map((r) => r.id),
      jestArgs,
      verbose: options.verbose ?? false,
      env: {
        ...options.env,
        KIT_ADAPTER_INFO: infoFile,
        ...(expectations.file && expectedFile ? { KIT_EXPECTED: expectations.file } : {}),
      },
      onFile: (done) => {
        const rule = selection.rules.find((r) => r.id === done.rule);
        if (!rule) return;
        durations.set(rule.id, done.duration);
        if (!options.onRule) return;
        const partial: RunResult = {
          choice,
          files: [done.file],
          filtered: jestArgs.length > 0,
          jestArgs,
          complete: true,
          exit: 'running',
          tests: done.tests,
          byRule: done.byRule,
          runFailures: [],
          counts: { passed: 0, failed: 0, unsupported: 0, skipped: 0, outsideTests: 0 },
          stderrTail: '',
        };
        options.onRule(ruleReport(rule, adapter.name, partial, expectations.entries, infoFile, done.duration));
      },
    });
    const rules = selection.rules.map((rule) =>
      ruleReport(rule, adapter.name, result, expectations.entries, infoFile, durations.get(rule.id) ?? null),
    );
    const runRow = judgeRun(adapter.name, result, expectations.entries);
    const bad = rules.some((r) => r.outcome === 'fail' || r.outcome === 'unexpected pass') || runRow.outcome !== 'pass';
    const counts = result.counts;
    return {
      adapter,
      expectations: expectations.file,
      rules,
      run: runRow,
      counts,
      summary: summaryLine(counts),
      ok: !bad && counts.failed === 0 && counts.outsideTests === 0,
      durationMs: Date.now() - began,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export { RUN_ROW };
