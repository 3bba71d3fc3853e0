import { UNSENDABLE, type ProcessHandle } from '../adapter';
import { describeRule } from '../harness/describe-rule';
import { rejectsWithCode } from '../harness/expect-error';

describeRule('P11', (kit) => {
  const running = async (): Promise<ProcessHandle> => {
    const p = await kit.mp.Process({ target: 'sleepFor', args: [60_000] });
    await p.start();
    return p;
  };
  const stop = async (p: ProcessHandle): Promise<void> => {
    await p.kill();
    await p.join();
  };

  it('start() twice: while running and after join', async () => {
    const p = await running();
    const error = await rejectsWithCode(() => p.start(), 'ERR_MP_ALREADY_STARTED');
    expect(error.message).toMatch(/start.*twice/i);
    await stop(p);
    await rejectsWithCode(() => p.start(), 'ERR_MP_ALREADY_STARTED');
  }, 20_000);

  it('join() before start()', async () => {
    const p = await kit.mp.Process({ target: 'noop' });
    const error = await rejectsWithCode(() => p.join(), 'ERR_MP_NOT_STARTED');
    expect(error.message).toMatch(/start/i);
  }, 20_000);

  it('setting daemon after start() (seeds 000, 002, 004: it must come before)', async () => {
    const p = await running();
    await rejectsWithCode(() => p.setDaemon(true), 'ERR_MP_ALREADY_STARTED');
    expect(await p.daemon()).toBe(false);
    await stop(p);
  }, 20_000);

  it('close() while running fails and leaves the process running', async () => {
    const p = await running();
    const error = await rejectsWithCode(() => p.close(), 'ERR_MP_STILL_RUNNING');
    expect(error.message).toMatch(/running/i);
    expect(await p.isAlive()).toBe(true);
    await stop(p);
  }, 20_000);

  it('a closed process refuses everything but name and a second close()', async () => {
    const p = await kit.mp.Process({ target: 'noop', name: 'closed one' });
    await p.start();
    await p.join();
    await p.close();
    for (const use of [() => p.isAlive(), () => p.exitCode(), () => p.pid(), () => p.join(), () => p.start(), () => p.terminate()]) {
      const error = await rejectsWithCode(use, 'ERR_MP_CLOSED');
      expect(error.message).toMatch(/closed/i);
    }
    await p.close();
    expect(await p.name()).toBe('closed one');
  }, 20_000);

  it('terminate() and kill() before start()', async () => {
    const p = await kit.mp.Process({ target: 'noop' });
    await rejectsWithCode(() => p.terminate(), 'ERR_MP_NOT_STARTED');
    await rejectsWithCode(() => p.kill(), 'ERR_MP_NOT_STARTED');
    expect(await p.isAlive()).toBe(false);
    expect(await p.pid()).toBeNull();
  }, 20_000);

  it('an unknown task is refused and nothing starts', async () => {
    await rejectsWithCode(async () => {
      const p = await kit.mp.Process({ target: 'noSuchTask' });
      await p.start();
    }, 'ERR_MP_UNKNOWN_TASK');
    expect(await kit.mp.activeChildren()).toEqual([]);
  }, 20_000);

  describe('an unsendable argument or target', () => {
    const cases = [
      ['argument', { target: 'ignoreArguments', args: [UNSENDABLE, 1] }],
      ['target', { target: UNSENDABLE }],
    ] as const;
    it.each(cases)(
      'an unsendable %s fails at start() where arguments are serialized, and runs where memory is inherited',
      async (_what, options) => {
        const p = await kit.mp.Process({ ...options });
        if (kit.mp.capabilities.has('serializes-arguments')) {
          const error = await rejectsWithCode(() => p.start(), 'ERR_MP_NOT_SENDABLE');
          expect(error.message.length).toBeGreaterThan(20);
          expect(await p.pid()).toBeNull();
          expect(await kit.mp.activeChildren()).toEqual([]);
        } else {
          await p.start();
          await p.join();
          expect(await p.exitCode()).toBe(0);
        }
      },
      20_000,
    );
  });
});
