/**
 * Our library's pool of spare children (src/standby.ts), an implementation detail no seed rule
 * covers: it must be invisible except for speed and memory. A spare is reused, an environment
 * change made before start() still reaches the child, the pool grows only when starts come faster
 * than a boot and gives its extra spares back when idle, a burst is served from spares, and no
 * spare keeps its parent alive or outlives it, however the parent ends. What is running is read
 * from /proc, never from the library.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as Library from '../../src';
import { within } from '../harness/deadline';
import { DIST } from '../harness/paths';
import { Observations } from '../harness/observations';
import { descendants, hasEnded, type ProcessId } from '../harness/proc';

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

const DEFAULTS = { maxSpares: Math.min(availableParallelism(), 8), idleMs: 2000 };

/** Waits until `done()` (polling every 10 ms, at most `ms`), then says whether it came true. */
async function until(done: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; !done() && Date.now() < end;) await sleep(10);
  return done();
}

/** The wall time of `node -e 0` with this process's environment, ms: how long a boot takes here, now. */
async function bareNodeBootMs(): Promise<number> {
  const begin = performance.now();
  await new Promise((resolve) => spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' }).once('exit', resolve));
  return performance.now() - begin;
}

/** Starts back to back until the pool keeps two spares (its most, here), and waits until both are forked. */
async function growToTwoSpares(idleMs: number): Promise<void> {
  lib.setStandby({ maxSpares: 2, idleMs });
  for (let i = 0; i < 3; i++) await run(tasks.reportIdentity, `back to back ${i}`);
  expect(await until(() => below().length === 2, 10_000)).toBe(true);
}

/** The most processes seen below this one while sampling for `ms`. */
async function mostBelow(ms: number): Promise<number> {
  let most = 0;
  for (const end = Date.now() + ms; Date.now() < end; await sleep(10)) most = Math.max(most, below().length);
  return most;
}

describe('standby child', () => {
  afterEach(async () => {
    lib.setStandby(DEFAULTS);
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

  it('a program that starts one process pays for one spare, however long it runs', async () => {
    await run(tasks.reportIdentity, 'only start');
    expect(await until(() => below().length > 0, 10_000)).toBe(true);
    // Sampled from the first spare's fork on, for longer than the default idleMs (2 s), after which
    // a pool may give extra spares back.
    expect(await mostBelow(3_000)).toBe(1);
  }, 20_000);

  it('starts back to back grow the pool up to maxSpares and no further; idle, it gives back all but one', async () => {
    await growToTwoSpares(1_500);
    expect(await mostBelow(500)).toBe(2);
    // No start() for idleMs: one spare is ended, the other stays.
    await until(() => below().length === 1, 10_000);
    expect(below()).toHaveLength(1);
    expect(await mostBelow(2_000)).toBe(1);
  }, 40_000);

  it('an environment that changes before every start() does not grow the pool: its spares would all be stale', async () => {
    lib.setStandby({ maxSpares: 2, idleMs: 60_000 });
    try {
      for (let i = 0; i < 4; i++) {
        process.env.MP_KIT_STANDBY_PROBE = `start ${i}`;
        await run(tasks.reportIdentity, `changed environment ${i}`);
      }
      expect(await until(() => below().length > 0, 10_000)).toBe(true);
      expect(await mostBelow(1_500)).toBe(1);
    } finally {
      delete process.env.MP_KIT_STANDBY_PROBE;
    }
  }, 40_000);

  it('starts further apart than a boot do not grow the pool: each finds its spare booted', async () => {
    lib.setStandby({ maxSpares: 2, idleMs: 60_000 });
    // A spare has booted once it has had several times a bare Node's boot, measured now (under the
    // same load): the library's `ready` message is what is being tested, so it cannot be the sign.
    const booted = 5 * (await bareNodeBootMs());
    for (let i = 0; i < 4; i++) {
      await run(tasks.reportIdentity, `paced ${i}`);
      expect(await until(() => below().length > 0, 10_000)).toBe(true);
      await sleep(booted);
    }
    expect(await mostBelow(500)).toBe(1);
  }, 60_000);

  it('a lower maxSpares ends the extra spares at once, not when they are next idle', async () => {
    await growToTwoSpares(60_000);
    lib.setStandby({ maxSpares: 1 });
    await until(() => below().length === 1, 5_000);
    expect(below()).toHaveLength(1);
    expect(await mostBelow(500)).toBe(1);
  }, 40_000);

  it('a burst of starts is served by the spares booted ahead', async () => {
    await growToTwoSpares(60_000);
    const spares = below().sort();
    const burst = [0, 1].map(() => new lib.Process({ target: tasks.sleepFor, args: ['standby', 0] }));
    for (const p of burst) p.start();
    expect(burst.map((p) => p.pid!).sort()).toEqual(spares);
    await Promise.all(burst.map((p) => p.join()));
    expect(burst.map((p) => p.exitCode)).toEqual([0, 0]);
  }, 40_000);

  it('maxSpares 0 keeps no spare: each start() boots its child', async () => {
    lib.setStandby({ maxSpares: 0 });
    const first = await run(tasks.reportIdentity, 'no spare 1');
    expect(await mostBelow(1_500)).toBe(0);
    expect(await run(tasks.reportIdentity, 'no spare 2')).not.toBe(first);
    expect(await mostBelow(1_500)).toBe(0);
  }, 20_000);

  it('setStandby() refuses what it cannot use, naming it, and keeps its settings', async () => {
    const refusals: [unknown, string][] = [
      [{ spares: 2 }, "setStandby() got an unknown option 'spares'"],
      [{ maxSpares: -1 }, "setStandby() expected the 'maxSpares' option to be a whole number, 0 or more, got -1 (number)"],
      [{ idleMs: 1.5 }, "setStandby() expected the 'idleMs' option to be a whole number, 0 or more, got 1.5 (number)"],
      [{ maxSpares: 0, idleMs: '5' }, `setStandby() expected the 'idleMs' option to be a whole number, 0 or more, got "5" (string)`],
      [null, 'setStandby() expected its options to be an object, got null'],
    ];
    for (const [options, message] of refusals) {
      let thrown: unknown;
      try {
        lib.setStandby(options as Library.StandbyOptions);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(lib.InvalidOptionError);
      expect((thrown as Error).message).toBe(message);
    }
    // The refused { maxSpares: 0, ... } changed nothing: a start() still leaves a spare.
    await run(tasks.reportIdentity, 'after the refusals');
    expect(await until(() => below().length === 1, 10_000)).toBe(true);
  }, 20_000);
});

/**
 * The program (tasks/standby-parent.cjs) grows its pool to two spares, prints who they are, and ends
 * as `end` says. Its spares must not keep it alive, and must all end after it, whatever its end.
 * A spare that outlived its parent would wait for a start message forever, so the generous bounds
 * only decide how long a failing run takes.
 */
describe('no spare keeps its parent alive or outlives it', () => {
  const PROGRAM = join(__dirname, 'tasks', 'standby-parent.cjs');

  const ends = [
    { how: 'it returns', end: 'return', signal: null, code: 0 },
    { how: 'an uncaught error', end: 'throw', signal: null, code: 1 },
    { how: 'SIGTERM', end: 'wait', signal: 'SIGTERM', code: null },
    { how: 'SIGKILL', end: 'wait', signal: 'SIGKILL', code: null },
  ] as const;

  it.each(ends)(
    'the parent ends by $how',
    async ({ end, signal, code }) => {
      const program = spawn(process.execPath, [PROGRAM, end], { stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => program.once('exit', (c, s) => resolve([c, s])));
      let stdout = '';
      let stderr = '';
      program.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
      program.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
      let spares: ProcessId[] = [];
      try {
        expect(await until(() => /^spares .*\n/m.test(stdout) || program.exitCode !== null, 20_000)).toBe(true);
        const line = /^spares (.*)$/m.exec(stdout)?.[1] ?? '';
        spares = line.split(',').map((id) => {
          const [pid, startTime] = id.split(':').map(Number);
          return { pid: pid!, startTime: startTime! };
        });
        // The program grew its pool: two spares, both seen as its children in /proc.
        expect({ line, twoSpares: /^\d+:\d+,\d+:\d+$/.test(line) }).toEqual({ line, twoSpares: true });
        if (signal) program.kill(signal);
        const ended = await within(
          exited,
          15_000,
          "the program's exit",
          `the program did not end (a spare keeps it alive?); stderr: ${stderr}`,
        );
        expect(ended).toEqual([code, signal]);
        // Only the program's own failure is printed, nothing from the library or a spare.
        expect(stderr.replace(/^.*\n(?:.*\n)*Error: the program fails on purpose\n(?: {4}at .*\n)*\nNode\.js v.*\n$/, 'its error')).toBe(
          end === 'throw' ? 'its error' : '',
        );
        const outlived = async (): Promise<ProcessId[]> =>
          (await until(() => spares.every(hasEnded), 15_000)) ? [] : spares.filter((s) => !hasEnded(s));
        expect(await outlived()).toEqual([]);
      } finally {
        program.kill('SIGKILL');
        for (const s of spares) if (!hasEnded(s)) process.kill(s.pid, 'SIGKILL');
      }
    },
    60_000,
  );
});
