import { check } from '../harness/checks';
import { describeRule } from '../harness/describe-rule';

describeRule('P3', (kit) => {
  const runRecords = async (options: Parameters<typeof kit.start>[0]) => {
    const child = await kit.start(options);
    await child.handle.join();
    check.equal('exit code', await child.handle.exitCode(), 0);
    return { child, runs: kit.observations.of('run').map(({ tok, label, name }) => ({ tok, label, name })) };
  };

  kit.test("the child runs the subclass's run(), once, with the attributes its constructor set", async () => {
    const label = `label-${Date.now()}`;
    const { child, runs } = await runRecords({ subclass: 'ReportingProcess', args: [label] });
    check.equal('run() records', runs, [{ tok: child.token, label, name: await child.handle.name() }]);
  });

  kit.test('a name given to the subclass instance is what run() sees', async () => {
    const { child, runs } = await runRecords({ subclass: 'ReportingProcess', args: ['named'], name: 'meet' });
    check.equal('run() records', runs, [{ tok: child.token, label: 'named', name: 'meet' }]);
  });

  kit.test('a name the subclass sets in its own constructor is kept and seen by run()', async () => {
    const { child, runs } = await runRecords({ subclass: 'NamedProcess' });
    check.equal('name of the handle', await child.handle.name(), 'chosen by its class');
    check.equal('run() records', runs, [{ tok: child.token, label: 'named', name: 'chosen by its class' }]);
  });
});
