import { describeRule } from '../harness/describe-rule';

describeRule('P3', (kit) => {
  it("the child runs the subclass's run(), with the attributes its constructor set", async () => {
    const label = `label-${Date.now()}`;
    const p = await kit.mp.Process({ subclass: 'ReportingProcess', args: [label] });
    await p.start();
    const pid = await p.pid();
    await p.join();
    expect(await p.exitCode()).toBe(0);
    const runs = kit.observations.of('run');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ label, name: await p.name(), pid });
  }, 20_000);

  it('a name given to the subclass instance is what run() sees', async () => {
    const p = await kit.mp.Process({ subclass: 'ReportingProcess', args: ['named'], name: 'meet' });
    await p.start();
    await p.join();
    expect(kit.observations.of('run')).toEqual([expect.objectContaining({ label: 'named', name: 'meet' })]);
  }, 20_000);
});
