import { check } from '../harness/checks';
import { describeRule } from '../harness/describe-rule';
import { EXIT_POLL_MS } from '../harness/exit-watch';
import { endedWithin, grace } from './daemon-at-exit';

/**
 * Detection: an implementation that runs the exit handling only in the main program leaves the
 * grandchild ticking after its creator's code ended (and the creator either hangs or exits leaving
 * an orphan); one that kills instead of terminating, or ends the daemon too early, fails the
 * timing checks. Ends are read from /proc and from the grandchild's own records.
 */
describeRule('D7', (kit) => {
  kit.test("when a child's code ends, its own running daemon child is terminated before the child exits", async () => {
    const b = await kit.bounds();
    const gate = kit.gate();
    const child = await kit.start({ target: 'daemonParent', args: [5, gate.file] });
    const [firstTick] = await kit.observations.waitFor('tick', { tok: `${child.token}.daemon`, count: 3, timeout: 20_000 });
    // Under a fork server the OS parent is the server; the daemon still belongs to the child.
    if (!kit.mp.capabilities.has('forked-by-server')) check.equal("the daemon's parent pid", firstTick!.ppid, child.pid);

    // The daemon's exit is watched from before the gate opens: a watch begun after it ended stamps the
    // moment it began, which can come after the child's own (stamped as it happened), and the order
    // checked below would be reversed by the measurement.
    const daemonExit = kit.exitOf(firstTick!);
    daemonExit.catch(() => {}); // awaited below unless an earlier check fails
    gate.open();
    const [end] = await kit.observations.waitFor('child-end', { tok: child.token });
    await endedWithin(kit, firstTick!, end!.t, grace(b), `the daemon, after its creator's code ended (${b.basis})`);
    const daemonGone = await daemonExit;
    const childGone = await child.exited;
    await child.handle.join();

    check.atMost("the daemon's end after its creator's code ended", daemonGone - end!.t, grace(b), b.basis);
    const lastTick = Math.max(...kit.observations.of('tick', `${child.token}.daemon`).map((o) => o.t));
    check.atMost("the daemon's last tick after its creator's code ended", lastTick - end!.t, grace(b), b.basis);
    // Both ends are stamped by one /proc poller, each late by up to one poll: an order within that is no order.
    check.that(
      childGone >= daemonGone - EXIT_POLL_MS,
      `the child exited ${(daemonGone - childGone).toFixed(1)} ms before its daemon ended`,
    );
    check.equal("the child's exit code", await child.handle.exitCode(), 0);
  });
});
