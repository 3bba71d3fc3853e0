/**
 * `npm run prove`: every spec must be able to fail. Runs each deliberately broken adapter
 * (spec/adapters/broken.ts) against the rules that must catch it and checks that they do fail;
 * prints a table (breakages caught / total is the kit's mutation score for these breakages).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BREAKAGES } from '../spec/adapters/broken';
import { REPO_ROOT } from '../spec/harness/paths';

interface JestJson {
  testResults: { assertionResults: { ancestorTitles: string[]; status: string; failureMessages: string[] }[] }[];
}

function failingRules(breakage: string, rules: string[]): { failed: Set<string>; firstMessage: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mp-kit-prove-'));
  const out = join(dir, 'results.json');
  const choice = `broken:${breakage}`;
  try {
    spawnSync(
      process.execPath,
      [require.resolve('jest/bin/jest'), '--selectProjects', choice, '-t', `^(${rules.join('|')}): `, '--json', `--outputFile=${out}`],
      { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, KIT_ADAPTERS: choice } },
    );
    const results = JSON.parse(readFileSync(out, 'utf8')) as JestJson;
    const failed = new Set<string>();
    let firstMessage = '';
    for (const test of results.testResults.flatMap((f) => f.assertionResults)) {
      if (test.status !== 'failed') continue;
      const id = /^([A-Z]+\d+):/.exec(test.ancestorTitles[0] ?? '')?.[1];
      if (id) failed.add(id);
      firstMessage ||= (test.failureMessages[0] ?? '').split('\n').find((l) => l.trim().length > 0) ?? '';
    }
    return { failed, firstMessage };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let caught = 0;
const entries = Object.entries(BREAKAGES);
console.log('| breakage | must fail | failed | caught | first failure message |');
console.log('| --- | --- | --- | --- | --- |');
for (const [name, breakage] of entries) {
  const { failed, firstMessage } = failingRules(name, breakage.catches);
  const ok = breakage.catches.every((id) => failed.has(id));
  if (ok) caught++;
  console.log(
    `| ${name} | ${breakage.catches.join(', ')} | ${[...failed].join(', ') || 'none'} | ${ok ? 'yes' : '**NO**'} | ${firstMessage.slice(0, 100)} |`,
  );
}
console.log(`\n${caught} of ${entries.length} breakages caught`);
process.exit(caught === entries.length ? 0 : 1);
