/**
 * `npm run report`: runs the suite once per implementation and writes the rule × implementation
 * matrix to reports/conformance.md and reports/conformance.json. Options: --adapters
 * ours,cpython:fork,... (default: ours and CPython with all three start methods); --verbose shows
 * Jest's own output.
 *
 * Outcomes of a rule on an implementation:
 * - pass: its tests ran and none failed, and none of them is a listed known failure;
 * - expected failure: none failed, and some are listed in spec/expectations/<implementation>.json
 *   and failed as listed (inside Jest, the kit turns such a test into a pass: describe-rule.ts);
 * - unexpected pass: its only failures are listed tests that passed ("unexpected pass: ...");
 * - fail: any other failure of a test or of its spec file (load error, afterAll leak check), no test
 *   of the rule ran, the run produced no results, or an expectation names a test that is not in the
 *   results (renamed or removed; checked only when the whole suite ran);
 * - not yet specified: a planned rule;
 * - unsupported: the rule needs an optional member the adapter lacks (its capabilities say so, e.g.
 *   no Lock()); its tests were not run (one checked that the member is missing), and the reason names it.
 * Failures of the run as a whole (the global teardown's leak check, a spec file outside any rule,
 * Jest failing without results) are one more row per implementation, rule "(run)". The report exits
 * non-zero on any fail or unexpected pass.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { expectationsFileFor, loadExpectations, type Expectation } from '../spec/harness/expectations';
import { REPO_ROOT as ROOT } from '../spec/harness/paths';
import { RULES, SEEDS, type Rule } from '../spec/rules/catalogue';
import { cleanMessage, emptyRuleResult, firstLine, indent, ruleOfKey, runRules, type Failure, type RunResult } from './run-jest-json';

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
  failures?: { kind: Failure['kind'] | 'run' | 'expectations'; test?: string; file?: string; message: string }[];
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

/** A whole message on one line (a run-level message's first line, "the run leaked:", says too little). */
export const oneLine = (message: string): string =>
  cleanMessage(message)
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');

const MARK: Record<Outcome, string> = {
  pass: 'pass',
  fail: '**FAIL**',
  'expected failure': 'expected failure',
  'unexpected pass': '**unexpected pass**',
  unsupported: 'unsupported',
  'not yet specified': '—',
};

/** Text for one markdown table cell or list item: one line, pipes escaped, cut. */
const cell = (text: string, max = 300): string => {
  const one = text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
  return one.length > max ? `${one.slice(0, max - 3)}...` : one;
};

/** The rule x implementation table, with what each implementation is under it. */
function matrix(rows: readonly Row[], implementations: readonly Implementation[]): string[] {
  const at = (rule: string, name: string): Row | undefined => rows.find((r) => r.rule === rule && r.implementation === name);
  const names = implementations.map((i) => i.name);
  return [
    `| rule | claim | seeds | ${names.join(' | ')} |`,
    `| --- | --- | --- | ${names.map(() => '---').join(' | ')} |`,
    ...RULES.map((rule) => {
      const cells = names.map((name) => MARK[at(rule.id, name)?.outcome ?? 'fail']);
      return `| ${rule.id} | ${cell(rule.title)} | ${rule.seeds.join(', ')} | ${cells.join(' | ')} |`;
    }),
    `| ${RUN_ROW} | the run as a whole | | ${names.map((name) => (at(RUN_ROW, name)?.outcome === 'pass' ? 'ok' : '**FAIL**')).join(' | ')} |`,
    '',
    ...implementations.map((i) => `- ${i.name}: ${i.description ?? 'no description'} (choice \`${i.choice}\`)`),
  ];
}

/** Node peers: every failure with its first line, which names the real difference. */
function peerSection(peers: { rows: readonly Row[]; implementations: readonly Implementation[] }): string[] {
  if (peers.implementations.length === 0) return [];
  const failing = peers.rows.filter((r) => r.outcome === 'fail' && r.rule !== RUN_ROW);
  return [
    '',
    '## Node peers',
    '',
    'Other Node implementations, through the example adapters in examples/adapters/ (reported, not judged: their failures are their real differences).',
    '',
    ...matrix(peers.rows, peers.implementations),
    '',
    ...(failing.length === 0
      ? ['No failures.']
      : failing.flatMap((r) => [
          `- ${r.rule} on ${r.implementation}:`,
          ...(r.failures ?? []).map((f) => `  - ${f.test ? `\`${cell(f.test, 120)}\`` : f.kind}: ${cell(firstLine(f.message), 240)}`),
        ])),
  ];
}

export function markdown(
  rows: readonly Row[],
  implementations: readonly Implementation[],
  peers: { rows: readonly Row[]; implementations: readonly Implementation[] } = { rows: [], implementations: [] },
): string {
  const bad = rows.filter((r) => r.outcome === 'fail' || r.outcome === 'unexpected pass');
  const runRows = rows.filter((r) => r.rule === RUN_ROW && r.failures);
  const listed = rows.flatMap((r) => (r.expectedFailures ?? []).map((e) => ({ ...e, implementation: r.implementation })));
  return [
    '# Conformance report',
    '',
    `Generated by \`npm run report\` on ${new Date().toISOString()} (Node ${process.version}). Rules: spec/rules/catalogue.ts.`,
    'Outcomes: pass; **FAIL**; expected failure (a test listed with its reason in spec/expectations/<implementation>.json failed as listed);',
    '**unexpected pass** (a listed test passed); "—" not yet specified. The last row is the run as a whole (global teardown, spec files outside any rule).',
    '',
    ...matrix(rows, implementations),
    '',
    '## Failures',
    '',
    ...(bad.every((r) => r.rule === RUN_ROW)
      ? [bad.length === 0 ? 'None.' : 'None of a rule (see the run-level failures).']
      : bad
          .filter((r) => r.rule !== RUN_ROW)
          .flatMap((r) => [
            `- ${r.rule} on ${r.implementation}: ${r.outcome}`,
            ...(r.failures ?? []).map(
              (f) =>
                `  - ${f.test ? `\`${cell(f.test, 200)}\`` : f.kind === 'file' ? `${f.file}, outside its tests` : f.kind}: ${cell(firstLine(f.message))}`,
            ),
          ])),
    ...(runRows.length === 0
      ? []
      : [
          '',
          '## Run-level failures',
          '',
          ...runRows.flatMap((r) => [
            `- ${r.implementation}:`,
            ...(r.failures ?? []).flatMap((f) => ['', '  ```', indent(f.message, '  '), '  ```']),
          ]),
        ]),
    '',
    '## Expected failures (per test)',
    '',
    ...(listed.length === 0
      ? ['None listed.']
      : listed.map(
          (e) =>
            `- ${e.implementation}, \`${cell(e.test, 200)}\`: ${cell(e.reason)} (listed failure: "${cell(e.failure, 200)}"; this run: ${e.thisRun})`,
        )),
    '',
    ...peerSection(peers),
    '',
    '## Notes (reported by specs, not asserted)',
    '',
    ...(implementations.some((i) => i.notes.length > 0)
      ? implementations.flatMap((i) => i.notes.map((note) => `- ${i.name}: ${cell(note)}`))
      : ['None.']),
    '',
    '## Documented deviations',
    '',
    ...RULES.filter((r) => r.deviation).map((r) => `- ${r.id}: ${r.deviation}`),
    '',
    '## Seeds',
    '',
    ...Object.entries(SEEDS).map(([id, seed]) => `- ${id}: \`${seed.file}\`, ${seed.topic}`),
    '',
  ].join('\n');
}

/** The example adapters of other Node implementations (examples/adapters/): reported, never judged. */
export const NODE_PEERS = ['fork-wrapper', 'workerpool', 'worker-threads'].map((name) => `./examples/adapters/${name}/adapter.ts`);

interface Implementation {
  choice: string;
  name: string;
  description: string | null;
  /** What specs reported without asserting it (kit.note), e.g. SH1's lost updates. */
  notes: string[];
}

/** What the kit learned inside Jest about the implementation a choice turned out to be (describe-rule.ts, tellReport). */
function implementationOf(choice: string, infoFile: string): Implementation {
  const lines = existsSync(infoFile) ? readFileSync(infoFile, 'utf8').split('\n').filter(Boolean) : [];
  const parsed = lines.map((line) => JSON.parse(line) as { name?: string; description?: string | null; rule?: string; note?: string });
  const last = parsed.filter((p) => p.name !== undefined).pop();
  const notes = parsed.filter((p) => p.note !== undefined).map((p) => `${p.rule}: ${p.note}`);
  return { choice, name: last?.name ?? implementationName(choice), description: last?.description ?? null, notes };
}

/** Every expectations file in spec/expectations, parsed: a malformed one stops the report before any run. */
function checkExpectationFiles(): void {
  const dir = join(ROOT, 'spec', 'expectations');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) loadExpectations(file.replace(/\.json$/, ''));
}

async function runAll(
  choices: readonly string[],
  scratch: string,
  verbose: boolean,
): Promise<{ rows: Row[]; implementations: Implementation[] }> {
  const rows: Row[] = [];
  const implementations: Implementation[] = [];
  for (const [i, choice] of choices.entries()) {
    const infoFile = join(scratch, `adapter-${i}.jsonl`);
    process.stderr.write(`running the suite against ${choice}...\n`);
    // Jest finds the expectations by the adapter's own name, as the report does after the run.
    const run = await runRules(choice, { verbose, env: { KIT_ADAPTER_INFO: infoFile } });
    const implementation = implementationOf(choice, infoFile);
    implementations.push(implementation);
    const { name } = implementation;
    for (const failure of run.runFailures) process.stderr.write(`run-level failure on ${name}:\n${indent(failure, '  ')}\n`);
    const expectations = process.env.KIT_EXPECTED
      ? loadExpectations(name)
      : existsSync(expectationsFileFor(name))
        ? loadExpectations(name)
        : new Map();
    for (const rule of RULES) rows.push(judgeRule(rule, name, run, expectations));
    rows.push(judgeRun(name, run, expectations));
  }
  return { rows, implementations };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      adapters: { type: 'string', default: 'ours,cpython:fork,cpython:spawn,cpython:forkserver' },
      peers: { type: 'string', default: NODE_PEERS.join(',') },
      verbose: { type: 'boolean', default: false },
    },
  });
  const list = (text: unknown): string[] =>
    String(text)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s && s !== 'none');
  checkExpectationFiles();
  const scratch = mkdtempSync(join(tmpdir(), 'mp-kit-report-'));
  let judged: { rows: Row[]; implementations: Implementation[] };
  let peers: { rows: Row[]; implementations: Implementation[] };
  try {
    judged = await runAll(list(values.adapters), scratch, Boolean(values.verbose));
    peers = await runAll(list(values.peers), scratch, Boolean(values.verbose));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  mkdirSync(join(ROOT, 'reports'), { recursive: true });
  writeFileSync(join(ROOT, 'reports/conformance.md'), markdown(judged.rows, judged.implementations, peers));
  writeFileSync(
    join(ROOT, 'reports/conformance.json'),
    JSON.stringify({ implementations: judged.implementations, rows: judged.rows, peers }, null, 2) + '\n',
  );
  const bad = judged.rows.filter((r) => r.outcome === 'fail' || r.outcome === 'unexpected pass');
  for (const r of bad) process.stderr.write(`  ${r.rule} on ${r.implementation}: ${r.outcome}: ${r.reason ?? ''}\n`);
  process.stderr.write(
    `wrote reports/conformance.md and .json: ${bad.length} unexpected outcome(s) (Node peers are reported, not judged)\n`,
  );
  return bad.length > 0 ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`report: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(2);
    },
  );
}
