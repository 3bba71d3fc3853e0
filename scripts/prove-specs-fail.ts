/**
 * `npm run prove`: every spec must be able to fail. Runs each deliberately broken adapter
 * (spec/adapters/broken.ts) against the rules that must catch it and checks that they do fail;
 * prints a table (breakages caught / total is the kit's mutation score for these breakages).
 */
import { BREAKAGES } from '../spec/adapters/broken';
import { runRules } from './run-jest-json';

let caught = 0;
const entries = Object.entries(BREAKAGES);
console.log('| breakage | must fail | failed | caught | first failure message |');
console.log('| --- | --- | --- | --- | --- |');
for (const [name, breakage] of entries) {
  // Quiet: these runs fail on purpose, and the table below is the point.
  const results = runRules(`broken:${name}`, ['-t', `^(${breakage.catches.join('|')}): `], { quiet: true });
  const failed = [...results].filter(([, r]) => r.failed > 0).map(([id]) => id);
  const firstMessage = [...results.values()].find((r) => r.firstFailure)?.firstFailure ?? '';
  const ok = breakage.catches.every((id) => failed.includes(id));
  if (ok) caught++;
  console.log(
    `| ${name} | ${breakage.catches.join(', ')} | ${failed.join(', ') || 'none'} | ${ok ? 'yes' : '**NO**'} | ${firstMessage.slice(0, 100)} |`,
  );
}
console.log(`\n${caught} of ${entries.length} breakages caught`);
process.exit(caught === entries.length ? 0 : 1);
