/**
 * How a started child is waited for (src/popen-spawn.ts, reached through join()), where the rules
 * cannot look: a wait holds the parent's event loop open only while it waits, leaves no abort
 * listener behind once it settles, hands the abort's reason on as the AbortError's cause, and
 * treats a timeout beyond setTimeout's range as "forever". Found by mutation testing
 * (docs/mutation-testing.md): each test kills mutants that every rule let through.
 */
import { getEventListeners } from 'node:events';
import type * as Library from '../../src';
import { DIST } from '../harness/paths';
import { descendants } from '../harness/proc';

/* eslint-disable @typescript-eslint/no-require-imports -- the compiled library, as children run it */
const lib = require(`${DIST}/src/index.js`) as typeof Library;
const tasks = require(`${DIST}/fixtures/ts/tasks.js`) as { sleepFor: (tok: string, ms: number) => Promise<void> };
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Whether the child's handle keeps this process's event loop alive. process._getActiveHandles() (an
 * old, undocumented API) lists the ref'd handles by owner, here the ChildProcess, so the other
 * handles of a Jest process do not count.
 */
const holdsLoop = (p: Library.Process): boolean =>
  (process as unknown as { _getActiveHandles(): { pid?: number }[] })._getActiveHandles().some((h) => h.pid === p.pid);

const children: Library.Process[] = [];

function started(ms: number): Library.Process {
  const p = new lib.Process({ target: tasks.sleepFor, args: ['popen', ms] });
  p.start();
  children.push(p);
  return p;
}

afterEach(async () => {
  for (const p of children.splice(0)) {
    p.kill();
    await p.join();
  }
  await lib.stopStandby();
  expect(descendants(process.pid)).toEqual([]);
});

describe('a wait for the child (Popen.wait)', () => {
  it('holds the event loop open only while someone waits', async () => {
    const p = started(60_000);
    expect(holdsLoop(p)).toBe(false); // a started child alone never keeps its parent alive
    const long = p.join({ timeout: 400 });
    expect(holdsLoop(p)).toBe(true);
    await p.join({ timeout: 50 });
    expect(holdsLoop(p)).toBe(true); // the first wait still holds it
    await long;
    expect(holdsLoop(p)).toBe(false);
  }, 20_000);

  it('leaves no listener on its AbortSignal once it has settled', async () => {
    const p = started(60_000);
    const { signal } = new AbortController();
    await p.join({ timeout: 50, signal }); // ends by its timeout
    expect([p.exitCode, getEventListeners(signal, 'abort').length]).toEqual([null, 0]);
    p.kill();
    await p.join({ signal }); // ends by the exit
    expect([p.exitCode, getEventListeners(signal, 'abort').length]).toEqual([-9, 0]);
  }, 20_000);

  it("rejects with the abort's reason as the AbortError's cause, aborted while waiting or before", async () => {
    const p = started(60_000);
    const controller = new AbortController();
    const waiting = p.join({ signal: controller.signal });
    controller.abort('stop waiting');
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError', cause: 'stop waiting' });
    await expect(p.join({ signal: AbortSignal.abort('not at all') })).rejects.toMatchObject({ name: 'AbortError', cause: 'not at all' });
  }, 20_000);

  it("waits for the exit when the timeout is beyond setTimeout's 32-bit range (Node would fire at once)", async () => {
    const p = started(300);
    await p.join({ timeout: 2 ** 32 });
    expect(p.exitCode).toBe(0);
  }, 20_000);
});
