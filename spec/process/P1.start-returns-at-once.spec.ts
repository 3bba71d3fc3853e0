import { describeRule } from '../harness/describe-rule';
import { epochNow } from '../harness/observations';

describeRule('P1', (kit) => {
  it('the task is still running when start() has returned, and the parent goes on meanwhile', async () => {
    const { startJoin } = await kit.overhead();
    // Long against this run's overhead, so "still running" cannot be luck; terminated early anyway.
    const duration = Math.max(2000, 20 * startJoin);
    const p = await kit.mp.Process({ target: 'sleepFor', args: [duration] });
    await p.start();
    const returnedAt = epochNow();
    // The parent's next statements run while the child works.
    expect(await p.isAlive()).toBe(true);
    const [started] = await kit.observations.waitFor('started');
    expect(kit.observations.of('finished')).toEqual([]);
    expect(returnedAt).toBeLessThan(started!.t + duration);
    await p.terminate();
    await p.join();
    expect(kit.observations.of('finished')).toEqual([]);
  }, 30_000);
});
