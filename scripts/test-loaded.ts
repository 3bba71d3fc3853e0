/**
 * `npm run test:loaded`: the suite on ours and CPython fork while CPU-burning processes (two per
 * core) compete for the machine, as a loaded CI runner would. Timing bounds come from figures the
 * harness measures in the same run, so they must hold here too: a spec that fails only under load
 * is a broken spec. Options: --runs N (default 1; stops at the first failing run), --burners N
 * (default two per core); anything after `--` goes to Jest.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: { runs: { type: 'string', default: '1' }, burners: { type: 'string', default: String(2 * availableParallelism()) } },
  allowPositionals: true,
});
const runs = Number(values.runs);
const burnerCount = Number(values.burners);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
if (!Number.isInteger(burnerCount) || burnerCount < 0) throw new Error(`--burners must be a non-negative integer, got ${values.burners}`);

const burners: ChildProcess[] = [];
const stopBurners = (): void => {
  for (const b of burners) b.kill('SIGKILL');
};
process.on('exit', stopBurners);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    stopBurners();
    process.exit(128 + 2);
  });
}
for (let i = 0; i < burnerCount; i++) burners.push(spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' }));

const jest = require.resolve('jest/bin/jest');
const env = { ...process.env, KIT_ADAPTERS: process.env.KIT_ADAPTERS ?? 'ours,cpython:fork' };
let status = 0;
for (let run = 1; run <= runs && status === 0; run++) {
  process.stderr.write(`\ntest:loaded run ${run} of ${runs}, beside ${burnerCount} CPU burners (${env.KIT_ADAPTERS})\n`);
  const began = Date.now();
  status = spawnSync(process.execPath, [jest, ...positionals], { stdio: 'inherit', env }).status ?? 1;
  process.stderr.write(`test:loaded run ${run}: ${status === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - began) / 1000).toFixed(0)} s\n`);
}
stopBurners();
process.exit(status);
