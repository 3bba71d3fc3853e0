/**
 * `npm run prove`: every spec must be able to fail, and fail for the right reason. Runs each
 * deliberately broken adapter (spec/adapters/broken.ts) against the rules in its `catches`, one run
 * at a time, and checks that each of those rules has a failure (of a test, or of its spec file)
 * whose message matches the rule's pattern. A rule that fails only for another reason (a crash, a
 * leak) has not caught the breakage. Prints a markdown table; exits non-zero unless every breakage
 * is caught by every rule it lists.
 * Options: --only name1,name2 (a subset of the breakages); --verbose (Jest's own output, on stderr).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BREAKAGES } from '../spec/adapters/broken';
import { CONTROLS, type Control } from '../spec/adapters/controls';
import { REPO_ROOT } from '../spec/harness/paths';
import { RULES } from '../spec/rules/catalogue';
import { cleanMessage, firstLine, indent, type Failure } from '../kit/results';
import { runRules, type RunResult } from '../kit/run-jest';

const OURS_EXPECTED = join(REPO_ROOT, 'spec', 'expectations', 'ours.json');

export interface Verdict {
  rule: string;
  caught: boolean;
  /** The matching line, or (not caught) why not: the first failure's first line, or what happened instead. */
  line: string;
}

/** The line of a message where a pattern's match starts, or null. */
export function matchingLine(message: string, pattern: RegExp): string | null {
  const text = cleanMessage(message);
  const match = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')).exec(text);
  if (!match) return null;
  const start = text.lastIndexOf('\n', match.index) + 1;
  const end = text.indexOf('\n', match.index + Math.max(match[0].length, 1) - 1);
  const line = text.slice(start, end === -1 ? undefined : end).trim();
  return line || match[0];
}

const where = (f: Failure): string => (f.kind === 'file' ? `[${f.file}, outside its tests] ` : '');

/** Whether one rule of a run caught a breakage: some failure of that rule matches its pattern. */
export function verdict(run: RunResult, rule: string, pattern: RegExp): Verdict {
  if (!RULES.some((r) => r.id === rule && r.status === 'specified')) {
    return { rule, caught: false, line: `${rule} is not a specified rule of the catalogue` };
  }
  if (!run.complete) return { rule, caught: false, line: `no results: ${firstLine(run.runFailures[0] ?? '')}` };
  const result = run.byRule.get(rule);
  for (const failure of result?.failures ?? []) {
    const line = matchingLine(failure.message, pattern);
    if (line !== null) return { rule, caught: true, line: where(failure) + line };
  }
  const first = result?.failures[0];
  if (first) return { rule, caught: false, line: `fails otherwise than ${String(pattern)}: ${where(first)}${firstLine(first.message)}` };
  if (!result || result.passed + result.failed === 0) return { rule, caught: false, line: 'no test of this rule ran' };
  return { rule, caught: false, line: `no failure: ${result.passed} test(s) passed` };
}

const cell = (text: string, max = 240): string => {
  const one = text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
  return one.length > max ? `${one.slice(0, max - 3)}...` : one;
};

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, verbose: { type: 'boolean', default: false } } });
  const only = values.only
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = (only ?? []).filter((name) => !(name in BREAKAGES) && !(name in CONTROLS));
  if (unknown.length > 0) {
    process.stderr.write(
      `prove: unknown breakage(s) or control(s) ${unknown.join(', ')}; known: ${[...Object.keys(BREAKAGES), ...Object.keys(CONTROLS)].join(', ')}\n`,
    );
    return 2;
  }
  const entries = Object.entries(BREAKAGES).filter(([name]) => !only || only.includes(name));
  const controls = Object.entries(CONTROLS).filter(([name]) => !only || only.includes(name));

  const table = ['| breakage | description | rule | caught | matching line (or why not) |', '| --- | --- | --- | --- | --- |'];
  const notes: string[] = [];
  let caught = 0;
  let checks = 0;
  let passedChecks = 0;
  for (const [name, breakage] of entries) {
    const rules = Object.keys(breakage.catches);
    process.stderr.write(`broken:${name}: running ${rules.join(', ')}...\n`);
    // Every breakage wraps ours, so ours' known failures (its documented deviations) are known here too.
    const run = await runRules(`broken:${name}`, { rules, verbose: Boolean(values.verbose), env: { KIT_EXPECTED: OURS_EXPECTED } });
    const verdicts = rules.map((rule) => verdict(run, rule, breakage.catches[rule]!));
    if (rules.length > 0 && verdicts.every((v) => v.caught)) caught++;
    if (rules.length === 0)
      table.push(`| ${name} | ${cell(breakage.description)} | (none listed) | **NO** | its \`catches\` lists no rule |`);
    for (const v of verdicts) {
      checks++;
      if (v.caught) passedChecks++;
      table.push(`| ${name} | ${cell(breakage.description)} | ${v.rule} | ${v.caught ? 'yes' : '**NO**'} | ${cell(v.line)} |`);
    }
    for (const failure of run.runFailures) {
      notes.push(`- ${name}: ${cell(cleanMessage(failure), 300)}`);
      // Without results the table cannot say why: the whole message (it ends with Jest's stderr) goes to stderr.
      if (!run.complete) process.stderr.write(`broken:${name}:\n${indent(failure, '  ')}\n`);
    }
  }
  console.log(table.join('\n'));
  if (notes.length > 0) console.log(['', 'Run-level failures (they do not count as catching anything):', '', ...notes].join('\n'));
  console.log(`\n${caught} of ${entries.length} breakages caught (${passedChecks} of ${checks} rule checks)`);
  const controlsHeld = await proveControls(controls, Boolean(values.verbose));
  return caught === entries.length && controlsHeld ? 0 : 1;
}

/**
 * Each foreign control must fail exactly its listed rules, each with the pattern that names the
 * real difference, and pass every other specified rule (spec/adapters/controls.ts).
 */
async function proveControls(controls: [string, Control][], verbose: boolean): Promise<boolean> {
  if (controls.length === 0) return true;
  const specified = RULES.filter((r) => r.status === 'specified').map((r) => r.id);
  const table = ['| control | rule | expected | as expected | matching line (or why not) |', '| --- | --- | --- | --- | --- |'];
  let held = 0;
  for (const [name, control] of controls) {
    process.stderr.write(`control ${name} (${control.choice}): running every rule...\n`);
    const run = await runRules(control.choice, { verbose });
    let ok = run.complete;
    for (const rule of specified) {
      const unsupported = run.byRule.get(rule)?.unsupported;
      if (control.unsupported?.includes(rule) || unsupported !== undefined) {
        // Reported unsupported exactly where the control lacks the member, never elsewhere.
        const right = control.unsupported?.includes(rule) === true && unsupported !== undefined;
        ok &&= right;
        const why = unsupported !== undefined ? `unsupported: ${unsupported}` : 'it ran, though the control lacks a member it needs';
        table.push(`| ${name} | ${rule} | unsupported | ${right ? 'yes' : '**NO**'} | ${cell(why)} |`);
        continue;
      }
      const pattern = control.fails[rule];
      if (pattern) {
        const v = verdict(run, rule, pattern);
        ok &&= v.caught;
        table.push(`| ${name} | ${rule} | fails | ${v.caught ? 'yes' : '**NO**'} | ${cell(v.line)} |`);
        continue;
      }
      const result = run.byRule.get(rule);
      const first = result?.failures[0];
      const passes = !first && (result?.passed ?? 0) > 0;
      ok &&= passes;
      const why = first ? `fails: ${firstLine(first.message)}` : passes ? `${result!.passed} test(s) passed` : 'no test of this rule ran';
      table.push(`| ${name} | ${rule} | passes | ${passes ? 'yes' : '**NO**'} | ${cell(why)} |`);
    }
    for (const failure of run.runFailures)
      table.push(`| ${name} | (run) | no run-level failure | **NO** | ${cell(cleanMessage(failure))} |`);
    if (ok && run.runFailures.length === 0) held++;
  }
  console.log(['', '## Foreign controls', '', CONTROL_NOTE, '', ...table].join('\n'));
  console.log(`\n${held} of ${controls.length} controls failed exactly their listed rules`);
  return held === controls.length;
}

const CONTROL_NOTE =
  'Real implementations that are not what the rules describe: each must fail exactly its listed rules, naming the real difference, and pass the others.';

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`prove: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(2);
    },
  );
}
