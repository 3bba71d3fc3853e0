import { setTimeout as sleep } from 'node:timers/promises';
import { codeFor } from '../adapters/cpython-errors';
import { check, fail } from '../harness/checks';
import { describeRule } from '../harness/describe-rule';
import { descendants, describeEntries } from '../harness/proc';

/**
 * Detection: an implementation that lets a daemon start a child (a `started` record, a new process
 * in /proc), refuses it with some other error, or starts the process and only then complains
 * (a new process below Jest, found from /proc, not from the implementation) fails.
 */
describeRule('D5', (kit) => {
  kit.test("a daemon's start() of a child fails with the daemon-children error, and no process is created", async () => {
    const b = await kit.bounds();
    const attempt = kit.gate();
    const gate = kit.gate();
    const daemon = await kit.start({ target: 'startFromDaemon', args: [attempt.file, gate.file], daemon: true });
    await kit.observations.waitFor('ready', { tok: daemon.token });
    const before = await kit.stillProcessTree();
    attempt.open();
    const outcome = await Promise.race([
      kit.observations.waitFor('refused', { tok: daemon.token }),
      kit.observations
        .waitFor('started', { tok: daemon.token })
        .then((o) => fail(`the daemon started a child: pid ${String(o[0]!.childPid)}`)),
    ]);
    const refused = outcome[0]!;
    // Ours records its error's code; a Python fixture its class and message, mapped as the adapter maps errors.
    const code = typeof refused.code === 'string' ? refused.code : codeFor(String(refused.type), String(refused.message));
    check.equal(`the error the daemon got (${String(refused.type)}: ${String(refused.message)})`, code, 'ERR_MP_DAEMON_CHILDREN');

    // Long enough for a child to appear, had one been started; seen from /proc, not from the implementation.
    await sleep(b.start + b.prompt);
    const fresh = descendants(process.pid)
      .filter((p) => !before.some((q) => q.pid === p.pid && q.startTime === p.startTime))
      .filter((p) => !(p.pid === daemon.id?.pid && p.startTime === daemon.id.startTime));
    if (fresh.length > 0) fail(`after the refusal a process was started anyway: ${describeEntries(fresh)}`);
    gate.open();
    await daemon.handle.join();
    check.equal("the daemon's exit code (it caught the error and returned)", await daemon.handle.exitCode(), 0);
  });
});
