import { setTimeout as sleep } from 'node:timers/promises';
import { check, fail } from '../harness/checks';
import { monotonicNow } from '../harness/clock';
import { describeRule } from '../harness/describe-rule';
import { writerOf } from '../harness/observations';
import { describeEntries, lookup, type ProcessId } from '../harness/proc';
import type { Bounds } from '../harness/yardstick';

/** The child's exit status in the program `zombie` (fixtures/README.md). */
const EXIT_CODE = 7;

/** Each reaping call the program can make, with what it must give for the exited child. */
const REAPING_CALLS = {
  join: { what: 'join()', result: null },
  isAlive: { what: 'isAlive()', result: false },
  activeChildren: { what: 'activeChildren()', result: [] },
  exitCode: { what: 'reading exitCode', result: EXIT_CODE },
  start: { what: "start() of another process (CPython's start() first polls every finished child)", result: null },
} as const;

/** Without 'visible-zombies': the exited child must be gone from /proc within `prompt` of its exit. */
async function expectReapedPromptly(child: ProcessId, exitedAt: number, b: Bounds): Promise<void> {
  while (monotonicNow() - exitedAt <= b.prompt) {
    if (lookup(child) === null) return;
    await sleep(1);
  }
  const left = lookup(child);
  if (left) {
    fail(
      `the exited child was still a zombie nobody had reaped ${b.prompt.toFixed(1)} ms after its exit, the bound without 'visible-zombies' (${b.basis}): ${describeEntries([left])}`,
    );
  }
}

/**
 * Detection: with 'visible-zombies', an implementation that reaps behind the program's back fails
 * the first /proc read (the child is gone before any call), and a call that does not reap fails the
 * second (still Z after it); without it, one that leaves zombies fails the `prompt` bound, naming the
 * zombie. Either way a call that reaps but loses the exit status fails on what it gave.
 */
describeRule('Z1', (kit) => {
  for (const [call, { what, result }] of Object.entries(REAPING_CALLS)) {
    kit.test(`an exited child stays a zombie until ${what} reaps it, and its exit code is kept (whole program)`, async () => {
      const b = await kit.bounds();
      const [held, release] = [kit.gate(), kit.gate()];
      const program = kit.scenario('zombie', [call, held.file, release.file]);
      const [exiting] = await program.waitFor('exiting', { tok: 'zombie.child' });
      const child = writerOf(exiting!);
      const exitedAt = await kit.exitOf(exiting!);
      if (kit.mp.capabilities.has('visible-zombies')) {
        // Long after its exit and before any call, the child is still there for its parent to reap.
        await sleep(2 * b.prompt);
        const after = `${(monotonicNow() - exitedAt).toFixed(1)} ms after its exit`;
        const entry = lookup(child);
        if (!entry) fail(`'visible-zombies' is declared, but the exited child was already reaped ${after}, before ${what}`);
        check.equal(
          `the exited child in /proc ${after}, before ${what}`,
          { state: entry.state, ppid: entry.ppid },
          { state: 'Z', ppid: program.pid },
        );
      } else {
        await expectReapedPromptly(child, exitedAt, b);
      }

      held.open();
      const [reaped] = await kit.observations.waitFor('reaped', { tok: 'zombie' });
      check.equal(`what ${what} gave for the exited child`, reaped!.result, result);
      const left = lookup(child);
      if (left) fail(`the exited child is still in /proc after ${what}: ${describeEntries([left])}`);

      release.open();
      const [later] = await kit.observations.waitFor('later', { tok: 'zombie' });
      check.equal('exitCode of the reaped child, read again later', later!.exitCode, EXIT_CODE);
      const end = await program.ended;
      check.equal('how the program ended', { exitCode: end.exitCode, signal: end.signal }, { exitCode: 0, signal: null });
    });
  }
});
