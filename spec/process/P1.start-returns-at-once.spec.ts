import { check } from '../harness/checks';
import { within } from '../harness/deadline';
import { describeRule } from '../harness/describe-rule';
import { hasEnded } from '../harness/proc';

/**
 * Detection: start() is bounded absolutely (`start`, about 130-230 ms unloaded) and relative to the
 * child's own first record (`prompt`): a start() that returns 300 ms late, before or after the child
 * is running, fails either way. The child waits on a gate, so "still running" is never luck.
 */
describeRule('P1', (kit) => {
  kit.test('start() returns promptly while the task is still running, and the parent goes on meanwhile', async () => {
    const b = await kit.bounds();
    const gate = kit.gate();
    const child = await within(kit.start({ target: 'gatedExit', args: [gate.file, 0] }), 10 * b.start, 'start() returning');
    check.atMost('duration of start()', child.startReturnedAt - child.startCalledAt, b.start, b.basis);
    // The task cannot have ended: its gate is still closed. Where the child has a pid of its own,
    // /proc shows it running too (a pid is P4's business, not this rule's).
    if (child.id) check.that(!hasEnded(child.id), `after start() returned, pid ${child.pid} is not a running process`);

    // The parent's next statements run while the child works.
    const [started] = await kit.observations.waitFor('started', { tok: child.token });
    check.atMost("delay of start()'s return after the child's first record", child.startReturnedAt - started!.t, b.prompt, b.basis);
    check.equal('isAlive() while the task runs', await child.handle.isAlive(), true);
    check.equal('exitCode while the task runs', await child.handle.exitCode(), null);

    gate.open();
    await child.handle.join();
    check.equal('exit code', await child.handle.exitCode(), 0);
  });
});
