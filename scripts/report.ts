/**
 * `npm run report`: runs the suite once per implementation and writes the rule × implementation
 * matrix to reports/conformance.md and reports/conformance.json. Options: --adapters
 * ours,cpython:fork,... (default: ours and CPython with all three start methods); --verbose shows
 * Jest's own output.
 *
 * Outcomes are judged by kit/judge.ts, and the markdown is kit/markdown.ts's. The report exits
 * non-zero on any fail or unexpected pass.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { implementationName, judgeRule, judgeRun, type Row } from '../kit/judge';
import { markdown, type Implementation } from '../kit/markdown';
import { indent } from '../kit/results';
import { runRules } from '../kit/run-jest';
import { expectationsFileFor, loadExpectations } from '../spec/harness/expectations';
import { REPO_ROOT as ROOT } from '../spec/harness/paths';
import { RULES } from '../spec/rules/catalogue';

/** The example adapters of other Node implementations (examples/adapters/): reported, never judged. */
export const NODE_PEERS = ['fork-wrapper', 'workerpool', 'worker-threads'].map((name) => `./examples/adapters/${name}/adapter.ts`);

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
