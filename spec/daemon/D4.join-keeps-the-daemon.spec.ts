import { setTimeout as sleep } from 'node:timers/promises';
import { check } from '../harness/checks';
import { describeRule } from '../harness/describe-rule';
import { monotonicNow } from '../harness/clock';
import { DAEMON, checkExitCodes, endedWithin, mainEnd, running, startDaemonAtExit, ticksAfter, grace } from './daemon-at-exit';

/**
 * Detection: while the main code is blocked in join() on a non-daemon worker, the daemon must keep
 * ticking (shown by its own records and /proc, not by the implementation): an implementation that
 * ends daemons when the main code blocks, or when any child is joined, fails; after the join the
 * daemon must end with the main code, as in D2.
 */
describeRule('D4', (kit) => {
  kit.test('while the main code is joining a non-daemon worker the daemon keeps running; it ends when the main code does', async () => {
    const b = await kit.bounds();
    const run = await startDaemonAtExit(kit, 'monitor');
    run.endMain(); // the main code goes on into join() on the worker, which waits for its own gate
    // Long enough for the main code to be in join(), and for a wrong implementation to end the daemon.
    await sleep(b.start + b.prompt);
    const inJoin = monotonicNow();
    check.that(running(run.daemon), 'the daemon ended while the main code was still joining the worker');
    // It is not only alive but running its task: at least 5 more ticks (every TICK_MS ms), whatever the load.
    await kit.observations.waitFor('tick', { tok: DAEMON, count: kit.observations.of('tick', DAEMON).length + 5 });
    check.equal('records of the main code while it joins', kit.observations.of('joined', 'daemonAtExit:main').length, 0);
    check.that(ticksAfter(kit, inJoin).length >= 5, 'the daemon did not tick 5 times while the main code was joining');

    run.endSibling();
    const joined = (await kit.observations.waitFor('joined', { tok: 'daemonAtExit:main' }))[0]!;
    const end = await mainEnd(kit);
    const daemonGone = await endedWithin(kit, run.daemon, end.t, grace(b), `the daemon, after the main code's end (${b.basis})`);
    check.that(daemonGone >= joined.t, `the daemon ended ${(joined.t - daemonGone).toFixed(1)} ms before join() returned`);
    check.atMost("the daemon's end after the main code's end", daemonGone - end.t, grace(b), b.basis);
    const program = await run.scenario.ended;
    check.equal('exit status of the program', { exitCode: program.exitCode, signal: program.signal }, { exitCode: 0, signal: null });
    checkExitCodes(kit, { daemon: -15, sibling: 0 });
  });
});
