/**
 * `npm run test:cpython -- --start-method spawn` and `npm run test:adapter -- --adapter <path>`: the
 * whole suite against one adapter. It only sets KIT_ADAPTERS (read by jest.config.ts) and runs Jest;
 * anything after `--` that is not ours goes to Jest (e.g. `-t P7`).
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    adapter: { type: 'string', default: 'ours' },
    'start-method': { type: 'string' },
  },
  allowPositionals: true,
  strict: false,
});

const adapter = String(values.adapter);
const method = values['start-method'];
const choice = typeof method === 'string' ? `${adapter}:${method}` : adapter;
const jestArgs = process.argv.slice(2).filter((arg, i, all) => {
  const previous = all[i - 1];
  return !arg.startsWith('--adapter') && !arg.startsWith('--start-method') && previous !== '--adapter' && previous !== '--start-method';
});

const jest = require.resolve('jest/bin/jest');
const result = spawnSync(process.execPath, [jest, ...jestArgs], {
  stdio: 'inherit',
  env: { ...process.env, KIT_ADAPTERS: choice },
});
process.exit(result.status ?? 1);
