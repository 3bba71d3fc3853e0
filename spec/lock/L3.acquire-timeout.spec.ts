import { check } from '../harness/checks';
import { monotonicNow } from '../harness/clock';
import { maker } from '../harness/critical-sections';
import { describeRule } from '../harness/describe-rule';

/** Timer rounding: a wait may end up to this much before its nominal timeout (Python rounds to the ms). */
const EARLY_MS = 2;

/**
 * Detection: every timeout is bounded both ways (not before it, not more than `prompt` after it,
 * from the harness's own yardstick), at several lengths, from the parent and from a child; "at once"
 * is `prompt` too. A lock that ignores the timeout (waits forever, or returns at once) or takes the
 * lock anyway fails.
 */
describeRule('L3', (kit) => {
  kit.test(
    'in the parent: non-blocking and zero or negative timeouts return false at once, a timeout after about it, while a child holds the lock',
    async () => {
      const b = await kit.bounds();
      const lock = await maker(kit.mp, 'Lock')();
      const gate = kit.gate();
      const holder = await kit.start({ target: 'holdLockUntilGate', args: [lock, gate.file] });
      await kit.observations.waitFor('acquired', { tok: holder.token });
      const attempts: [string, { block?: boolean; timeout?: number }, number][] = [
        ['acquire({ block: false })', { block: false }, 0],
        ['acquire({ timeout: 0 })', { timeout: 0 }, 0],
        ['acquire({ timeout: -1 })', { timeout: -1 }, 0],
        ['acquire({ block: false, timeout: 1000 })', { block: false, timeout: 1000 }, 0],
        [`acquire({ timeout: ${Math.round(3 * b.prompt)} })`, { timeout: Math.round(3 * b.prompt) }, Math.round(3 * b.prompt)],
        [`acquire({ timeout: ${Math.round(8 * b.prompt)} })`, { timeout: Math.round(8 * b.prompt) }, Math.round(8 * b.prompt)],
      ];
      for (const [what, options, expected] of attempts) {
        const begin = monotonicNow();
        const acquired = await lock.acquire(options);
        const elapsed = monotonicNow() - begin;
        check.equal(`${what} while a child holds the lock`, acquired, false);
        if (expected > 0) check.atLeast(`duration of ${what}`, elapsed, expected - EARLY_MS, 'it must wait the whole timeout');
        check.atMost(`overrun of ${what} past ${expected} ms`, elapsed - expected, b.prompt, b.basis);
      }
      gate.open();
      await kit.observations.waitFor('released', { tok: holder.token });
      check.equal('acquire({ block: false }) once the child released', await lock.acquire({ block: false }), true);
      await lock.release();
      await holder.handle.join();
    },
  );

  kit.test('in a child: the same while the parent holds the lock, and it gets the lock once free', async () => {
    const b = await kit.bounds();
    const lock = await maker(kit.mp, 'Lock')();
    check.equal('acquire() in the parent', await lock.acquire(), true);
    const timeout = Math.round(5 * b.prompt);
    const cases: [string, boolean, number | null, number][] = [
      ['acquire(block=false)', false, null, 0],
      [`acquire(timeout=${timeout} ms)`, true, timeout, timeout],
    ];
    for (const [what, block, timeoutMs, expected] of cases) {
      const child = await kit.start({ target: 'tryAcquire', args: [lock, block, timeoutMs] });
      const [tried] = await kit.observations.waitFor('tried', { tok: child.token, timeout: 10_000 + expected });
      check.equal(`${what} in a child while the parent holds the lock`, tried!.acquired, false);
      const waited = tried!.waitedMs as number;
      if (expected > 0) check.atLeast(`duration of ${what} in the child`, waited, expected - EARLY_MS, 'it must wait the whole timeout');
      check.atMost(`overrun of ${what} in the child past ${expected} ms`, waited - expected, b.prompt, b.basis);
      await child.handle.join();
    }
    await lock.release();
    const child = await kit.start({ target: 'tryAcquire', args: [lock, true, timeout] });
    const [tried] = await kit.observations.waitFor('tried', { tok: child.token });
    check.equal("a child's acquire(timeout) once the parent released", tried!.acquired, true);
    check.atMost("duration of a child's acquire on a free lock", tried!.waitedMs as number, b.prompt, b.basis);
    await child.handle.join();
  });
});
