import { check } from '../harness/checks';
import { describeRule } from '../harness/describe-rule';
import { rejectsWithCode } from '../harness/expect-error';

/**
 * Seed 003: run() is what start() runs in the child; called directly it is an ordinary call in the
 * calling process, and join() only joins what start() began. "No child" is shown from the process
 * tree and from who wrote the record, not from the implementation.
 */
describeRule('P14', (kit) => {
  kit.test('run() called directly runs the task in the calling process: same pid, no child', async () => {
    const parent = await kit.mp.currentProcess();
    const before = kit.processTree();
    const p = await kit.mp.Process({ target: 'reportIdentity', args: ['direct'] });
    await p.run();
    const records = kit.observations.of('identity', kit.mp.tokenOf(p)).map(({ pid, name, tag }) => ({ pid, name, tag }));
    // The OS pid that wrote the record, and the library's own name for the process it ran in.
    check.equal('identity recorded by run()', records, [{ pid: parent.pid, name: parent.name, tag: 'direct' }]);
    const since = kit.processTree().filter((q) => !before.some((b) => b.pid === q.pid && b.startTime === q.startTime));
    check.equal('processes started by run()', since, []);
    check.equal('pid after run()', await p.pid(), null);
    check.equal('isAlive() after run()', await p.isAlive(), false);
    check.equal('exitCode after run()', await p.exitCode(), null);
  });

  kit.test("a subclass's run() called directly runs in the calling process too", async () => {
    const parent = await kit.mp.currentProcess();
    const p = await kit.mp.Process({ subclass: 'ReportingProcess', args: ['direct'] });
    await p.run();
    check.equal(
      'pids that recorded the run',
      kit.observations.of('run').map((o) => o.pid),
      [parent.pid],
    );
  });

  kit.test(
    'join() after run() alone is refused (it only joins what start() began); start() afterwards runs the task in a child',
    async () => {
      const p = await kit.mp.Process({ target: 'reportIdentity', args: ['twice'] });
      await p.run();
      await rejectsWithCode(() => p.join(), 'ERR_MP_NOT_STARTED');
      await p.start();
      const pid = await p.pid();
      await p.join();
      check.equal('exit code', await p.exitCode(), 0);
      const parent = await kit.mp.currentProcess();
      check.equal(
        'pids that recorded the task',
        kit.observations.of('identity').map((o) => o.pid),
        [parent.pid, pid],
      );
    },
  );
});
