import { check } from '../harness/checks';
import { describeRule } from '../harness/describe-rule';
import { DAEMON, checkExitCodes, endedWithin, mainEnd, startDaemonAtExit, grace } from './daemon-at-exit';

/**
 * Detection: a daemon that keeps ticking after the main code's end (no exit handling), one ended
 * late (a poll, a timer), one killed instead of terminated (exit code -9), or a program that waits
 * for its daemon (it never ends: the daemon ticks forever) each break a check below.
 */
describeRule('D2', (kit) => {
  kit.test("a ticking daemon child ends, by SIGTERM, as soon as the main program's code ends", async () => {
    const b = await kit.bounds();
    const run = await startDaemonAtExit(kit, 'alone');
    run.endMain();
    const end = await mainEnd(kit);
    const daemonGone = await endedWithin(kit, run.daemon, end.t, grace(b), `the daemon, after the main code's end (${b.basis})`);
    const program = await run.scenario.ended;

    check.atMost("the daemon's end after the main code's end", daemonGone - end.t, grace(b), b.basis);
    const lastTick = Math.max(...kit.observations.of('tick', DAEMON).map((o) => o.t));
    check.atMost("the daemon's last tick after the main code's end", lastTick - end.t, grace(b), b.basis);
    check.atMost(
      "the program's end after the main code's end (it does not wait for a daemon)",
      program.t - end.t,
      b.start + b.prompt,
      b.basis,
    );
    check.equal('exit status of the program', { exitCode: program.exitCode, signal: program.signal }, { exitCode: 0, signal: null });
    checkExitCodes(kit, { daemon: -15, sibling: null });
  });
});
