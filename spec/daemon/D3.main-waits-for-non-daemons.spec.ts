import { setTimeout as sleep } from 'node:timers/promises';
import { check } from '../harness/checks';
import { describeRule } from '../harness/describe-rule';
import type { Scenario } from '../harness/scenarios';
import { checkExitCodes, endedWithin, mainEnd, running, startDaemonAtExit, grace } from './daemon-at-exit';

/**
 * Detection: the daemon must be gone while the non-daemon sibling still runs and the program is
 * still waiting for it, so an implementation that joins everyone before terminating daemons (the
 * daemon would outlive the main code until the sibling ends), one that does not wait for
 * non-daemon children (the program ends first) or one that terminates them too (the sibling's exit
 * code) each fail. The sibling ends only when the spec opens its gate. The same holds when the main
 * code ends with an uncaught error, where an implementation that only handles a normal end fails.
 */
describeRule('D3', (kit) => {
  const endOfMain = async (mode: 'sibling' | 'raises' | 'exits', exitCode: number): Promise<Scenario> => {
    const b = await kit.bounds();
    const run = await startDaemonAtExit(kit, mode);
    run.endMain();
    const end = await mainEnd(kit);
    const daemonGone = await endedWithin(kit, run.daemon, end.t, grace(b), `the daemon, after the main code's end (${b.basis})`);
    check.atMost("the daemon's end after the main code's end, with a non-daemon sibling running", daemonGone - end.t, grace(b), b.basis);

    // The program must now be waiting for the sibling, however long it takes: give it time to end wrongly.
    await sleep(b.start + b.prompt);
    check.that(running(run.sibling!), 'the non-daemon sibling was ended at the end of the main code; it must run until its own end');
    const early = run.scenario.exited();
    check.equal('the program ended before its non-daemon child did (at ms after main-end)', early && early.t - end.t, null);

    run.endSibling();
    const siblingGone = await kit.exitOf(run.sibling!);
    const program = await run.scenario.ended;
    check.that(program.t >= siblingGone, `the program ended ${(siblingGone - program.t).toFixed(1)} ms before its non-daemon child`);
    check.atMost("the program's end after its non-daemon child's end", program.t - siblingGone, b.start + b.prompt, b.basis);
    check.equal('exit status of the program', { exitCode: program.exitCode, signal: program.signal }, { exitCode, signal: null });
    checkExitCodes(kit, { daemon: -15, sibling: 0 });
    return run.scenario;
  };

  kit.test('at the end of the main code the daemon is terminated at once, while the program waits for its non-daemon sibling', async () => {
    await endOfMain('sibling', 0);
  });

  kit.test('the same when the main code ends with an uncaught error: daemon terminated, sibling waited for, exit code 1', async () => {
    const program = await endOfMain('raises', 1);
    const reported = program.lines('stderr').some((line) => line.text.includes('daemonAtExit: the main code raised'));
    check.that(reported, `the program's uncaught error is not on its stderr; ${program.transcript()}`);
  });

  kit.test('the same when the main code calls exit(3): daemon terminated, sibling waited for, exit code 3', async () => {
    await endOfMain('exits', 3);
  });
});
