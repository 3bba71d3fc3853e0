/**
 * What the library tests of shared objects look at from outside the library: this process's open
 * descriptors, mappings of shared segments and threads (from /proc), a forced garbage collection,
 * and start messages fed to the child's decoder.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type * as Reduction from '../../src/reduction';
import { DIST } from '../harness/paths';
import { lib } from './started-children';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the compiled decoder, as children run it
const { decodeStart } = require(`${DIST}/src/reduction.js`) as typeof Reduction;

export const fdCount = (): number => readdirSync('/proc/self/fd').length;

/** Mappings of shared segments in this process now. */
export const memfdMaps = (): number =>
  readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((line) => line.includes('memfd:mp-kit-shared')).length;

/** Descriptors, mappings of shared segments, and threads of this process now. */
export function resources(): { fds: number; maps: number; threads: number } {
  return { fds: fdCount(), maps: memfdMaps(), threads: readdirSync('/proc/self/task').length };
}

/**
 * Runs `work` (which checks its own outcome) and then shows that it left no descriptor, mapping or
 * thread behind in this process, the standby child stopped before and after so that its channel
 * does not count. With a forced GC everything the run made must be gone; without one, at most the
 * `segments` it made may still be mapped (and their descriptors open).
 */
export async function expectNothingLeft(work: () => Promise<void>, segments: number): Promise<void> {
  const gc = exposeGc();
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) {
      gc?.();
      await sleep(10);
    }
  };
  await lib.stopStandby();
  await settle();
  const before = resources();
  await work();
  await lib.stopStandby();
  let after = resources();
  for (const deadline = Date.now() + 5_000; Date.now() < deadline; await settle()) {
    after = resources();
    if (after.maps <= before.maps && after.fds <= before.fds && after.threads <= before.threads) break;
  }
  if (gc) {
    expect(after.maps).toBe(before.maps);
    expect(after.fds).toBeLessThanOrEqual(before.fds);
  } else {
    expect(after.maps).toBeLessThanOrEqual(before.maps + segments);
    expect(after.fds).toBeLessThanOrEqual(before.fds + segments);
  }
  // Each wait has a thread of its own, which ends with the wait.
  expect(after.threads).toBeLessThanOrEqual(before.threads);
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

/** A start message (wire format v4, src/reduction.ts) as the parent sends it: JSON text, valid in every field `fields` does not set. */
export function startMessage(fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    v: 4,
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
    shared: [],
    sockets: [],
    ...fields,
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
