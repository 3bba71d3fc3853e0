import { describeRule } from '../harness/describe-rule';

describeRule('P8', (kit) => {
  it('join(timeout) gives up after about the timeout; the child is still alive with no exit code', async () => {
    const { startJoin, roundTrip } = await kit.overhead();
    const timeout = Math.max(300, 3 * startJoin);
    const p = await kit.mp.Process({ target: 'sleepFor', args: [20 * timeout] });
    await p.start();
    await kit.observations.waitFor('started');
    const begin = performance.now();
    await p.join({ timeout });
    const elapsed = performance.now() - begin;
    expect(elapsed).toBeGreaterThanOrEqual(timeout - 5);
    // "About": a few calls' worth of talking to the implementation, plus timer slack on a loaded machine.
    expect(elapsed).toBeLessThanOrEqual(timeout + 10 * roundTrip + 100);
    expect(await p.isAlive()).toBe(true);
    expect(await p.exitCode()).toBeNull();
    expect(kit.observations.of('finished')).toEqual([]);
    await p.terminate();
    await p.join();
  }, 30_000);

  it('join(timeout) on a child that ends first returns when it ends', async () => {
    const { startJoin } = await kit.overhead();
    const p = await kit.mp.Process({ target: 'sleepFor', args: [Math.max(100, startJoin)] });
    await p.start();
    const begin = performance.now();
    const generous = 60 * Math.max(100, startJoin);
    await p.join({ timeout: generous });
    expect(performance.now() - begin).toBeLessThan(generous / 2);
    expect(await p.exitCode()).toBe(0);
  }, 30_000);
});
