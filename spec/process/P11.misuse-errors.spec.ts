import { UNSENDABLE, UNSENDABLE_NAME, type ProcessHandle } from '../adapter';
import { check, fail } from '../harness/checks';
import { describeRule, type Started } from '../harness/describe-rule';
import { rejectsWithCode } from '../harness/expect-error';
import { hasEnded } from '../harness/proc';

const firstLine = (error: Error): string => error.message.split('\n')[0] ?? '';
const names = (error: Error, pattern: RegExp, what: string): void => {
  if (!pattern.test(error.message)) fail(`the error does not name ${what}: ${firstLine(error)}`);
};

describeRule('P11', (kit) => {
  /** A child whose task runs until the test lets it end with end(). */
  const running = async (): Promise<Started & { end(): Promise<void> }> => {
    const gate = kit.gate();
    const child = await kit.start({ target: 'gatedExit', args: [gate.file, 0] });
    await kit.observations.waitFor('started', { tok: child.token });
    return Object.assign(child, {
      end: async () => {
        gate.open();
        await child.handle.join();
      },
    });
  };

  kit.test('start() twice, while running and after join, is refused and runs nothing a second time', async () => {
    const gate = kit.gate();
    const child = await kit.start({ target: 'gatedExit', args: [gate.file, 0] });
    await kit.observations.waitFor('started', { tok: child.token });
    // The baseline is taken once the tree is still: helpers the first start() set off (our standby
    // child's refill, booted on a later turn) may appear late on a loaded machine (a run saw one).
    const before = await kit.stillProcessTree();
    names(await rejectsWithCode(() => child.handle.start(), 'ERR_MP_ALREADY_STARTED'), /start.*twice/i, 'the second start');
    gate.open();
    await child.handle.join();
    names(await rejectsWithCode(() => child.handle.start(), 'ERR_MP_ALREADY_STARTED'), /start.*twice/i, 'the second start');
    check.equal(
      "the task's start records",
      kit.observations.of('started').map((o) => o.tok),
      [child.token],
    );
    const since = kit.processTree().filter((p) => !before.some((b) => b.pid === p.pid && b.startTime === p.startTime));
    check.equal('processes started by the second start()', since, []);
  });

  kit.test('join() before start() is refused', async () => {
    const p = await kit.mp.Process({ target: 'noop' });
    names(await rejectsWithCode(() => p.join(), 'ERR_MP_NOT_STARTED'), /start/i, 'start');
  });

  kit.test('setting daemon after start() is refused (seeds 000, 001, 002: it must come before)', async () => {
    const child = await running();
    await rejectsWithCode(() => child.handle.setDaemon(true), 'ERR_MP_ALREADY_STARTED');
    check.equal('daemon after the refused change', await child.handle.daemon(), false);
    await child.end();
  });

  kit.test('close() while running is refused and leaves the process running', async () => {
    const child = await running();
    names(await rejectsWithCode(() => child.handle.close(), 'ERR_MP_STILL_RUNNING'), /running/i, 'the running state');
    // Where the child has a pid of its own, /proc shows it still running too (a pid is P4's business).
    if (child.id) check.that(!hasEnded(child.id), `pid ${child.pid} is not running any more after the refused close()`);
    check.equal('isAlive() after the refused close()', await child.handle.isAlive(), true);
    await child.end();
  });

  kit.test('a closed process refuses everything but name, daemon and a second close()', async () => {
    const p = await kit.mp.Process({ target: 'noop', name: 'closed one' });
    await p.start();
    await p.join();
    await p.close();
    const uses: [string, (h: ProcessHandle) => Promise<unknown>][] = [
      ['isAlive()', (h) => h.isAlive()],
      ['exitCode', (h) => h.exitCode()],
      ['pid', (h) => h.pid()],
      ['join()', (h) => h.join()],
      ['start()', (h) => h.start()],
      ['terminate()', (h) => h.terminate()],
      ['kill()', (h) => h.kill()],
    ];
    for (const [what, use] of uses) {
      const error = await rejectsWithCode(() => use(p), 'ERR_MP_CLOSED').catch((e: Error) =>
        fail(`${what} on a closed process: ${firstLine(e)}`),
      );
      names(error, /closed/i, `the closed state (${what})`);
    }
    await p.close();
    check.equal('name of a closed process', await p.name(), 'closed one');
    check.equal('daemon of a closed process', await p.daemon(), false);
  });

  kit.test('terminate() and kill() before start() are refused, and nothing runs', async () => {
    const p = await kit.mp.Process({ target: 'noop' });
    await rejectsWithCode(() => p.terminate(), 'ERR_MP_NOT_STARTED');
    await rejectsWithCode(() => p.kill(), 'ERR_MP_NOT_STARTED');
    check.equal('isAlive() of an unstarted process', await p.isAlive(), false);
    check.equal('pid of an unstarted process', await p.pid(), null);
  });

  kit.test('an unknown task is refused, naming it, and nothing starts', async () => {
    const before = kit.processTree();
    const error = await rejectsWithCode(async () => {
      const p = await kit.mp.Process({ target: 'noSuchTask' });
      await p.start();
    }, 'ERR_MP_UNKNOWN_TASK');
    names(error, /noSuchTask/, 'the task');
    await kit.expectNothingStarted(before, 'after the unknown task was refused');
  });

  describe('an unsendable argument or target', () => {
    const cases = [
      ['argument', { target: 'recordArguments', args: [1, UNSENDABLE] }],
      ['target', { target: UNSENDABLE }],
    ] as const;
    for (const [what, options] of cases) {
      kit.test(
        `an unsendable ${what} fails at start(), naming it, where it is refused, and reaches the child intact where memory is inherited`,
        async () => {
          const caps = kit.mp.capabilities;
          if (caps.has('serializes-arguments') && !caps.has('refuses-unsendable')) {
            fail(
              "the adapter declares 'serializes-arguments' without 'refuses-unsendable': a value that cannot be serialized would be lost",
            );
          }
          const p = await kit.mp.Process({ ...options });
          if (caps.has('refuses-unsendable')) {
            const before = kit.processTree();
            names(
              await rejectsWithCode(() => p.start(), 'ERR_MP_NOT_SENDABLE'),
              new RegExp(UNSENDABLE_NAME),
              `the unsendable ${what} (${UNSENDABLE_NAME})`,
            );
            check.equal('pid after the refused start()', await p.pid(), null);
            await kit.expectNothingStarted(before, `after start() refused the unsendable ${what}`);
          } else {
            await p.start();
            await p.join();
            check.equal('exit code', await p.exitCode(), 0);
            // A function stays a function: the fixtures record it as the marker {"$unsendable": true}.
            const delivered = kit.observations.of('arguments', kit.mp.tokenOf(p)).map((o) => o.args);
            check.equal(
              'what the child received for the unsendable value',
              delivered,
              what === 'argument' ? [[{ $unsendable: true }]] : [],
            );
          }
        },
      );
    }
  });
});
