/**
 * `npm run test:adapter -- --adapter <choice or path>` and `npm run test:cpython -- --start-method spawn`:
 * the whole suite against one adapter. Options, each also part of the adapter choice:
 *   --adapter <choice>       ours, cpython, broken:<name>, or a path to your adapter (default ours)
 *   --start-method <m>       the variant after `:` (CPython: fork, spawn, forkserver)
 *   --python <interpreter>   for the Python adapter: the interpreter (pypy3, /usr/bin/python3, ...)
 *   --module <module>        for the Python adapter: the implementation (billiard, multiprocessing.dummy, ...)
 *   --expected <file>        known failures of this implementation (spec/harness/expectations.ts)
 * It builds the choice (`cpython:spawn?python=pypy3&module=billiard`), sets KIT_ADAPTERS and runs
 * Jest; everything else on the command line goes to Jest (e.g. `-t '^P7: '`).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const OPTIONS = ['adapter', 'start-method', 'python', 'module', 'expected'] as const;
const { values, tokens } = parseArgs({
  options: Object.fromEntries(OPTIONS.map((name) => [name, { type: 'string' as const }])),
  allowPositionals: true,
  strict: false,
  tokens: true,
});

const text = (name: (typeof OPTIONS)[number]): string | undefined =>
  typeof values[name] === 'string' ? (values[name] as string) : undefined;
const settings = new URLSearchParams();
for (const key of ['python', 'module'] as const) {
  const value = text(key);
  if (value !== undefined) settings.set(key, value);
}
const method = text('start-method');
const choice = `${text('adapter') ?? 'ours'}${method ? `:${method}` : ''}${settings.size > 0 ? `?${settings.toString()}` : ''}`;

// Everything that is not one of our options goes to Jest, in order.
const ours = new Set<number>();
for (const token of tokens ?? []) {
  if (token.kind === 'option' && (OPTIONS as readonly string[]).includes(token.name)) {
    ours.add(token.index);
    if (token.inlineValue === false) ours.add(token.index + 1);
  }
}
const jestArgs = process.argv.slice(2).filter((_arg, i) => !ours.has(i));

const expected = text('expected');
const jest = require.resolve('jest/bin/jest');
const result = spawnSync(process.execPath, [jest, ...jestArgs], {
  stdio: 'inherit',
  env: { ...process.env, KIT_ADAPTERS: choice, ...(expected ? { KIT_EXPECTED: resolve(expected) } : {}) },
});
process.exit(result.status ?? 1);
