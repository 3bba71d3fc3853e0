/**
 * What the library tests of shared objects look at from outside the library: this process's open
 * descriptors, mappings of shared segments and threads (from /proc), a forced garbage collection,
 * and start messages fed to the child's decoder.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type * as Reduction from '../../src/reduction';
import { DIST } from '../harness/paths';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the compiled decoder, as children run it
const { decodeStart } = require(`${DIST}/src/reduction.js`) as typeof Reduction;

export const fdCount = (): number => readdirSync('/proc/self/fd').length;

/** Descriptors, mappings of shared segments, and threads of this process now. */
export function resources(): { fds: number; maps: number; threads: number } {
  const maps = readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((line) => line.includes('memfd:mp-kit-shared')).length;
  return { fds: fdCount(), maps, threads: readdirSync('/proc/self/task').length };
}

/** A function that forces a full garbage collection, or undefined where V8 will not expose one. */
export function exposeGc(): (() => void) | undefined {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

/** A well-formed start message whose `shared` table is given; everything else is valid. */
export function startMessage(shared: unknown): string {
  return JSON.stringify({
    v: 3,
    kind: 'start',
    target: null,
    subclass: null,
    state: {},
    args: [null],
    kwargs: null,
    name: 'Process-99',
    daemon: false,
    identity: [99],
    parent: { pid: process.pid, name: 'MainProcess' },
    shared,
    sockets: [],
  });
}

/** decodeStart(text) must throw an error matching `expected`, and open nothing while doing so. */
export function expectRefused(text: string, expected: RegExp): void {
  const before = fdCount();
  let error: unknown = null;
  try {
    decodeStart(text);
  } catch (e) {
    error = e;
  }
  expect({ fds: fdCount(), text }).toEqual({ fds: before, text });
  if (error === null) throw new Error(`decodeStart accepted ${text}`);
  expect({ message: String((error as Error).message), text }).toEqual({ message: expect.stringMatching(expected), text });
}
