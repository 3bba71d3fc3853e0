/**
 * Our library's standby child (src/standby.ts), an implementation detail no seed rule covers: it
 * must be invisible except for speed. A spare is reused, an environment change made before start()
 * still reaches the child, and stopStandby() leaves nothing behind.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type * as Library from '../../src';
import { DIST } from '../harness/paths';
import { Observations } from '../harness/observations';
import { descendants } from '../harness/proc';

/* eslint-disable @typescript-eslint/no-require-imports -- the compiled library, as children run it */
const lib = require(`${DIST}/src/index.js`) as typeof Library;
const tasks = require(`${DIST}/fixtures/ts/tasks.js`) as {
  reportIdentity: (tok: string, tag: string) => void;
  reportEnv: (tok: string, name: string) => void;
  sleepFor: (tok: string, ms: number) => Promise<void>;
};
/* eslint-enable @typescript-eslint/no-require-imports */

const below = (): number[] => descendants(process.pid).map((p) => p.pid);

/** Fixture tasks take a token first (fixtures/README.md); these tests use a fixed one. */
async function run(target: (tok: string, arg: string) => void, arg: string): Promise<number> {
  const p = new lib.Process({ target, args: ['standby', arg] });
  p.start();
  await p.join();
  expect(p.exitCode).toBe(0);
  return p.pid!;
}

describe('standby child', () => {
  afterEach(async () => {
    await lib.stopStandby();
    expect(below()).toEqual([]);
  });

  it('the next start() runs in the spare booted after the previous one', async () => {
    await run(tasks.reportIdentity, 'first');
    for (let i = 0; i < 200 && below().length === 0; i++) await sleep(5);
    const spares = below();
    expect(spares).toHaveLength(1);
    expect(await run(tasks.reportIdentity, 'second')).toBe(spares[0]);
  }, 20_000);

  it('an environment change made before start() reaches the child, spare or not', async () => {
    const observations = new Observations();
    await run(tasks.reportIdentity, 'boot a spare');
    await sleep(300); // the spare has booted with the old environment
    process.env.MP_KIT_STANDBY_PROBE = `changed-${Date.now()}`;
    try {
      await run(tasks.reportEnv, 'MP_KIT_STANDBY_PROBE');
      expect(observations.of('env')).toEqual([
        expect.objectContaining({ name: 'MP_KIT_STANDBY_PROBE', value: process.env.MP_KIT_STANDBY_PROBE }),
      ]);
    } finally {
      delete process.env.MP_KIT_STANDBY_PROBE;
    }
  }, 20_000);

  it('stopStandby() right after start() keeps the spare from booting, and with no spare it just returns', async () => {
    const p = new lib.Process({ target: tasks.sleepFor, args: ['standby', 60_000] });
    p.start(); // the spare would boot on the next turn of the event loop
    await lib.stopStandby();
    await sleep(50);
    expect(below()).toEqual([p.pid]);
    await lib.stopStandby();
    p.kill();
    await p.join();
  }, 20_000);

  it('a spare that died is not used, and stopStandby() does not wait for its exit again', async () => {
    for (const next of ['start', 'stop'] as const) {
      await run(tasks.reportIdentity, 'boot a spare');
      for (let i = 0; i < 200 && below().length === 0; i++) await sleep(5);
      const [spare] = below();
      process.kill(spare!, 'SIGKILL');
      for (let i = 0; i < 200 && below().length > 0; i++) await sleep(5); // reaped: the library has seen the exit
      if (next === 'start') {
        expect(await run(tasks.reportIdentity, 'after the spare died')).not.toBe(spare);
      } else {
        await expect(Promise.race([lib.stopStandby().then(() => 'stopped'), sleep(2_000, 'still waiting')])).resolves.toBe('stopped');
      }
    }
  }, 20_000);
});
