/**
 * Our library's API where it goes beyond Python's (no seed rule covers these): cancelling a wait
 * with an AbortSignal, and the wording of the errors bad input gets.
 */
import type * as Library from '../../src';
import { DIST } from '../harness/paths';

/* eslint-disable @typescript-eslint/no-require-imports -- the compiled library, as children run it */
const lib = require(`${DIST}/src/index.js`) as typeof Library;
const tasks = require(`${DIST}/fixtures/ts/tasks.js`) as { sleepFor: (tok: string, ms: number) => Promise<void> };
/* eslint-enable @typescript-eslint/no-require-imports */

afterAll(() => lib.stopStandby());

describe('join({ signal })', () => {
  it('an abort rejects the wait with an AbortError and leaves the child running', async () => {
    const p = new lib.Process({ target: tasks.sleepFor, args: ['api', 60_000] });
    p.start();
    const controller = new AbortController();
    const waiting = p.join({ signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    expect(p.isAlive()).toBe(true);
    p.kill();
    await p.join();
    expect(p.exitCode).toBe(-9);
  }, 20_000);

  it('an already aborted signal rejects at once', async () => {
    const p = new lib.Process({ target: tasks.sleepFor, args: ['api', 60_000] });
    p.start();
    await expect(p.join({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    p.kill();
    await p.join();
  }, 20_000);
});

describe('errors name the problem', () => {
  it('an ill-typed option says what was expected and what arrived', () => {
    expect(() => new lib.Process({ args: 'meet' as unknown as unknown[] })).toThrow(/'args' option to be an array, got "meet" \(string\)/);
    expect(() => new lib.Process({ daemon: 1 as unknown as boolean })).toThrow(expect.objectContaining({ code: 'ERR_MP_INVALID_OPTION' }));
  });

  it('a closure as target is refused at start(), saying why, and nothing starts', () => {
    const closure = (): number => 1;
    const p = new lib.Process({ target: closure });
    expect(() => p.start()).toThrow(/closure or arrow function .* cannot cross a process boundary; export it from a module/);
    expect(p.pid).toBeNull();
    expect(lib.activeChildren()).toEqual([]);
  });

  it('an unsendable argument names its path', () => {
    const p = new lib.Process({ target: tasks.sleepFor, args: ['api', { when: new Date(0) }] });
    expect(() => p.start()).toThrow(/args\[1\]\.when is an instance of Date; only JSON values/);
    expect(p.pid).toBeNull();
  });

  it('join() on an unstarted process rejects rather than throws', async () => {
    const p = new lib.Process({ target: tasks.sleepFor, args: ['api', 1] });
    const result = p.join();
    await expect(result).rejects.toMatchObject({ code: 'ERR_MP_NOT_STARTED' });
  });
});
