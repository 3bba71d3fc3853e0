import { describeRule } from '../harness/describe-rule';
import { epochNow } from '../harness/observations';

describeRule('P6', (kit) => {
  it('join() resolves only after the task finished; then the process is not alive and has exit code 0', async () => {
    const { startJoin } = await kit.overhead();
    const p = await kit.mp.Process({ target: 'sleepFor', args: [Math.max(300, 3 * startJoin)] });
    expect(await p.exitCode()).toBeNull();
    await p.start();
    await p.join();
    const joinedAt = epochNow();
    const [finished] = kit.observations.of('finished');
    expect(finished).toBeDefined();
    expect(finished!.t).toBeLessThanOrEqual(joinedAt);
    expect(await p.isAlive()).toBe(false);
    expect(await p.exitCode()).toBe(0);
  }, 20_000);

  it('joining an ended process again returns at once with the same result', async () => {
    const p = await kit.mp.Process({ target: 'noop' });
    await p.start();
    await p.join();
    await p.join();
    expect(await p.exitCode()).toBe(0);
  }, 20_000);
});
