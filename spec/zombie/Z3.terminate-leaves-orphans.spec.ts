import { check } from '../harness/checks';
import { monotonicNow } from '../harness/clock';
import { describeRule } from '../harness/describe-rule';
import { TICK_MS, adopterName, endOrphan, expectAdopted, familyOf } from '../harness/orphans';

/**
 * Detection: a terminate() that signals the child's whole process group, or a child that passes
 * SIGTERM on to its own children (or ends them in a handler), stops the grandchild: the spec fails
 * at once, naming when /proc saw it end. A grandchild whose records and /proc disagree on its
 * parent, or that still sees its parent alive, fails its own check.
 */
describeRule('Z3', (kit) => {
  kit.test('terminate() ends the child only: its own child keeps running, adopted, and sees its parent dead', async () => {
    const b = await kit.bounds();
    const child = await kit.start({ target: 'tickerTree', args: [TICK_MS] });
    const grandchild = `${child.token}.1`;
    const [tree] = await kit.observations.waitFor('tree', { tok: child.token });
    const [first] = await kit.observations.waitFor('tick', { tok: grandchild });
    check.equal("the grandchild's pid, as the child reported it", first!.pid, (tree!.pids as unknown[])[0]);
    const family = await familyOf(kit, child.pid!, 'the terminated child', b);

    const signalledAt = monotonicNow();
    await child.handle.terminate();
    const diedAt = await child.exited;
    await child.handle.join();
    check.equal('exit code of the child after terminate()', await child.handle.exitCode(), -15);

    const { orphan, adopter } = await expectAdopted(kit, { tok: grandchild, parent: child.pid!, signalledAt, diedAt }, b);
    kit.note(`the grandchild's OS parent after the child's death: ${adopterName(adopter, family)}`);
    await endOrphan(kit, orphan, family, b);
  });
});
