import { check } from '../harness/checks';
import { describeRule } from '../harness/describe-rule';

/**
 * Detection: an implementation that drops the flag on the way (the child says false), sets it for
 * everyone (the default and explicit false cases say true) or reads it from the parent instead
 * fails one of the three cases, each checked exactly from the child's own record.
 */
describeRule('D1', (kit) => {
  kit.test('inside the child, the current process says daemon exactly when the parent set it before start()', async () => {
    const cases: { daemon?: boolean; expected: boolean }[] = [
      { daemon: true, expected: true },
      { daemon: false, expected: false },
      { expected: false },
    ];
    const seen = [];
    for (const { daemon, expected } of cases) {
      const p = await kit.start({ target: 'reportDaemon', ...(daemon === undefined ? {} : { daemon }) });
      const [record] = await kit.observations.waitFor('daemon', { tok: p.token });
      await p.handle.join();
      seen.push({ given: daemon ?? 'unset', daemon: record!.daemon, expected });
    }
    check.equal(
      "the child's own answer per flag given to the parent's Process",
      seen.map(({ given, daemon }) => ({ given, daemon })),
      cases.map(({ daemon, expected }) => ({ given: daemon ?? 'unset', daemon: expected })),
    );
  });

  kit.test('a flag set on the object after construction but before start() reaches the child too', async () => {
    const handle = await kit.mp.Process({ target: 'reportDaemon' });
    await handle.setDaemon(true);
    await handle.start();
    const p = kit.started(handle);
    const [record] = await kit.observations.waitFor('daemon', { tok: p.token });
    await handle.join();
    check.equal("the child's own answer after setDaemon(true) before start()", record!.daemon, true);
  });
});
