/**
 * A runner's report (kit/index.ts) as text: the CLI's progress line per rule and its closing
 * account of the failures, and the reports it writes with --reporter: markdown (the conformance
 * report's, kit/markdown.ts), JSON (the RunReport itself) and JUnit XML (for CI systems).
 */
import type { RuleReport, RunReport, TestResult } from './index';
import { RUN_ROW } from './judge';
import { markdown } from './markdown';
import { firstLine, indent } from './results';

export const REPORTERS = ['md', 'json', 'junit'] as const;
export type ReporterName = (typeof REPORTERS)[number];

const seconds = (ms: number | null): string => (ms === null ? '' : `${(ms / 1000).toFixed(1)} s`);
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

const WORD: Record<RuleReport['outcome'], string> = {
  pass: 'pass',
  fail: 'FAIL',
  'expected failure': 'expected failure',
  'unexpected pass': 'UNEXPECTED PASS',
  unsupported: 'unsupported',
  'not yet specified': 'not specified',
};

/** `P7   FAIL   1 of 3 tests failed  4.2 s  <why>`: one rule, as its spec file ends. */
export function progressLine(rule: RuleReport): string {
  const { passed, failed } = rule.tests;
  const known = rule.results.filter((t) => t.status === 'expected failure').length;
  const count =
    rule.outcome === 'unsupported'
      ? ''
      : failed > 0
        ? `${failed} of ${plural(passed + failed, 'test')} failed`
        : `${plural(passed, 'test')}${known > 0 ? `, ${known} failing as listed` : ''}`;
  const failing = rule.results.filter((t) => t.status === 'failed' || t.status === 'unexpected pass');
  const why =
    rule.outcome === 'pass' || rule.outcome === 'expected failure'
      ? rule.title
      : rule.outcome === 'unsupported'
        ? (rule.reason ?? '')
        : failing.length > 0
          ? `${firstLine(failing[0]!.message ?? '')}${failing.length > 1 ? ` (and ${failing.length - 1} more)` : ''}`
          : firstLine(rule.reason ?? '');
  return `${rule.rule.padEnd(4)} ${WORD[rule.outcome].padEnd(16)} ${count.padEnd(28)} ${seconds(rule.durationMs).padStart(7)}  ${why}`;
}

/** A message cut to what a terminal shows well: the JSON report (--reporter json) keeps it whole. */
function bounded(text: string, maxLines = 20, maxChars = 3000): string {
  const lines = text.split('\n');
  const kept = lines.slice(0, maxLines).join('\n');
  const cut = kept.length > maxChars ? `${kept.slice(0, maxChars)}...` : kept;
  return cut.length < text.length ? `${cut}\n(cut: ${text.length} characters in all; --reporter json has them)` : text;
}

function testFailure(test: TestResult): string[] {
  return [
    `  ${test.key}`,
    indent(bounded(test.message ?? '(no message)'), '      '),
    ...(test.childOutput ? ['      what its processes wrote on stderr:', indent(test.childOutput, '        ')] : []),
  ];
}

/** Every unexpected result, in full (messages without stack frames), then the closing line. */
export function closingAccount(report: RunReport): string {
  const lines: string[] = [];
  const bad = report.rules.filter((r) => r.outcome === 'fail' || r.outcome === 'unexpected pass');
  if (bad.length > 0 || report.run.outcome !== 'pass') lines.push('', 'Unexpected results:');
  for (const rule of bad) {
    lines.push('', `${rule.rule} (${rule.title}): ${rule.outcome}`);
    for (const test of rule.results.filter((t) => t.status === 'failed' || t.status === 'unexpected pass'))
      lines.push(...testFailure(test));
    for (const f of (rule.failures ?? []).filter((f) => f.kind !== 'test')) {
      lines.push(`  ${f.kind === 'file' ? `${f.file}, outside its tests` : f.kind}`, indent(bounded(f.message), '      '));
      if (f.childOutput) lines.push('      what its processes wrote on stderr:', indent(f.childOutput, '        '));
    }
  }
  if (report.run.outcome !== 'pass') {
    lines.push('', 'The run as a whole:');
    for (const f of report.run.failures ?? []) lines.push(indent(bounded(f.message, 40), '    '));
  }
  const { adapter } = report;
  lines.push(
    '',
    `${adapter.name}${adapter.description ? ` (${adapter.description})` : ''}: ${plural(report.rules.length, 'rule')} in ${seconds(report.durationMs)}` +
      (report.expectations ? `, known failures from ${report.expectations}` : ''),
    report.summary,
  );
  return lines.join('\n');
}

export function markdownReport(report: RunReport): string {
  const implementation = {
    choice: report.adapter.choice,
    name: report.adapter.name,
    description: report.adapter.description ?? null,
    notes: report.rules.flatMap((r) => r.notes.map((note) => `${r.rule}: ${note}`)),
  };
  return markdown([...report.rules, report.run], [implementation], undefined, '`mp-conformance-kit`');
}

// eslint-disable-next-line no-control-regex -- characters XML 1.0 cannot hold are dropped
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;
const ENTITY: Record<string, string> = { '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' };
const xml = (text: string): string => text.replace(NOT_XML, '').replace(/[<>&"']/g, (c) => `&${ENTITY[c]};`);

function testCase(rule: RuleReport, test: TestResult): string {
  const open = `    <testcase classname="${xml(`${rule.rule}: ${rule.title}`)}" name="${xml(test.title)}" time="${((test.durationMs ?? 0) / 1000).toFixed(3)}"`;
  const detail = [test.message ?? '', test.childOutput ? `\nwhat its processes wrote on stderr:\n${test.childOutput}` : ''].join('');
  switch (test.status) {
    case 'failed':
    case 'unexpected pass':
      return `${open}>\n      <failure message="${xml(firstLine(test.message ?? test.status))}">${xml(detail)}</failure>\n    </testcase>`;
    case 'unsupported':
      return `${open}>\n      <skipped message="${xml(rule.reason ?? 'unsupported')}"/>\n    </testcase>`;
    case 'skipped':
      return `${open}>\n      <skipped/>\n    </testcase>`;
    case 'expected failure':
      return `${open}>\n      <system-out>${xml(`failed as listed: ${test.expected?.reason ?? ''}`)}</system-out>\n    </testcase>`;
    default:
      return `${open}/>`;
  }
}

export function junitReport(report: RunReport): string {
  const failures = (tests: TestResult[]): number => tests.filter((t) => t.status === 'failed' || t.status === 'unexpected pass').length;
  const skipped = (tests: TestResult[]): number => tests.filter((t) => t.status === 'skipped' || t.status === 'unsupported').length;
  const suites = report.rules.map((rule) => {
    const outside = (rule.failures ?? []).filter((f) => f.kind !== 'test');
    const cases = [
      ...rule.results.map((t) => testCase(rule, t)),
      ...outside.map(
        (f) =>
          `    <testcase classname="${xml(`${rule.rule}: ${rule.title}`)}" name="${xml(`${f.kind === 'file' ? 'outside its tests' : f.kind}`)}">\n      <failure message="${xml(firstLine(f.message))}">${xml(f.message)}</failure>\n    </testcase>`,
      ),
    ];
    return [
      `  <testsuite name="${xml(`${rule.rule}: ${rule.title}`)}" tests="${cases.length}" failures="${failures(rule.results) + outside.length}" skipped="${skipped(rule.results)}" time="${((rule.durationMs ?? 0) / 1000).toFixed(3)}">`,
      ...cases,
      '  </testsuite>',
    ].join('\n');
  });
  const runFailures = report.run.failures ?? [];
  if (runFailures.length > 0) {
    suites.push(
      [
        `  <testsuite name="${RUN_ROW}" tests="${runFailures.length}" failures="${runFailures.length}" skipped="0">`,
        ...runFailures.map(
          (f, i) =>
            `    <testcase classname="${RUN_ROW}" name="run-level failure ${i + 1}">\n      <failure message="${xml(firstLine(f.message))}">${xml(f.message)}</failure>\n    </testcase>`,
        ),
        '  </testsuite>',
      ].join('\n'),
    );
  }
  const all = report.rules.flatMap((r) => r.results);
  const outsideTotal =
    report.rules.reduce((n, r) => n + (r.failures ?? []).filter((f) => f.kind !== 'test').length, 0) + runFailures.length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xml(`mp-conformance-kit: ${report.adapter.name}`)}" tests="${all.length + outsideTotal}" failures="${failures(all) + outsideTotal}" skipped="${skipped(all)}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

export function formatReport(report: RunReport, reporter: ReporterName): string {
  switch (reporter) {
    case 'md':
      return markdownReport(report);
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'junit':
      return junitReport(report);
  }
}
