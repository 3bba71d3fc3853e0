/** Runs the suite once for one adapter choice and returns its results per rule id (for report and prove). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../spec/harness/paths';

export interface RuleResult {
  passed: number;
  failed: number;
  /** The first line of the first failure message, for tables. */
  firstFailure?: string;
}

interface JestJson {
  testResults: { assertionResults: { ancestorTitles: string[]; status: string; failureMessages: string[] }[] }[];
}

/** Spec titles start with the rule id (`P7: ...`, from describeRule): that is how a test maps to its rule. */
export function runRules(choice: string, jestArgs: string[] = [], { quiet = false } = {}): Map<string, RuleResult> {
  const dir = mkdtempSync(join(tmpdir(), 'mp-kit-results-'));
  const out = join(dir, 'results.json');
  try {
    spawnSync(
      process.execPath,
      [require.resolve('jest/bin/jest'), '--selectProjects', choice, ...jestArgs, '--json', `--outputFile=${out}`],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'ignore', quiet ? 'ignore' : 'inherit'], // Jest reports progress on stderr
        env: { ...process.env, KIT_ADAPTERS: choice },
      },
    );
    const results = JSON.parse(readFileSync(out, 'utf8')) as JestJson;
    const byRule = new Map<string, RuleResult>();
    for (const test of results.testResults.flatMap((file) => file.assertionResults)) {
      const id = /^([A-Z]+\d+):/.exec(test.ancestorTitles[0] ?? '')?.[1];
      if (!id) continue;
      const result = byRule.get(id) ?? { passed: 0, failed: 0 };
      if (test.status === 'passed') result.passed++;
      if (test.status === 'failed') {
        result.failed++;
        result.firstFailure ??= (test.failureMessages[0] ?? '').split('\n').find((line) => line.trim().length > 0);
      }
      byRule.set(id, result);
    }
    return byRule;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
