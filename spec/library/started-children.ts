/**
 * What the library tests share: the compiled library (children run dist/, so the tests drive it
 * too), and children started in a test that are ended and joined after it, whatever happened.
 * Calling useStartedChildren() in a test file registers the hooks.
 */
import type * as Library from '../../src';
import { DIST } from '../harness/paths';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the compiled library, as children run it
export const lib = require(`${DIST}/src/index.js`) as typeof Library;

const started: Library.Process[] = [];

/** Starts a child running `target(...args)`; it is killed if still running, and joined, after the test. */
export function start<A extends unknown[]>(target: (...args: A) => unknown, args: A): Library.Process {
  const p = new lib.Process({ target: target as Library.Task, args });
  p.start();
  started.push(p);
  return p;
}

/** Registers the hooks: after each test, its children end; after the file, the standby child. */
export function useStartedChildren(): void {
  afterEach(async () => {
    for (const p of started.splice(0)) {
      if (p.exitCode === null) p.kill();
      await p.join();
    }
  });
  afterAll(() => lib.stopStandby());
}
