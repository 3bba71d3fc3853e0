import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { check } from '../harness/checks';
import { monotonicNow } from '../harness/clock';
import { expectNoOverlap, maker, sectionsOf } from '../harness/critical-sections';
import { describeRule } from '../harness/describe-rule';

/**
 * Detection: the children wait on a gate until all are ready, so they contend for the lock at once;
 * a lock that lets two through overlaps their sections (each held 5-40 ms, much longer than the
 * gate's 2 ms poll), and the check is exact: the children's own monotonic readings, no tolerance.
 */
describeRule('L1', (kit) => {
  kit.test('sections of N children sharing one Lock never overlap (property, 6 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 5 }),
        fc.array(fc.integer({ min: 5, max: 40 }), { minLength: 5, maxLength: 5 }),
        async (n, holds) => {
          const lock = await maker(kit.mp, 'Lock')();
          const gate = kit.gate();
          const children = [];
          for (let i = 0; i < n; i++) children.push(await kit.start({ target: 'holdLock', args: [lock, holds[i]!, gate.file] }));
          const tokens = children.map((c) => c.token);
          await kit.observations.waitFor('ready', { tok: tokens, count: n });
          gate.open();
          for (const child of children) await child.handle.join();
          for (const child of children) check.equal(`exit code of [${child.token}]`, await child.handle.exitCode(), 0);
          const sections = sectionsOf(kit.observations, tokens);
          expectNoOverlap(sections, `${n} children sharing one Lock`);
          // Every hold was kept in full: a lock that "excludes" by cutting holds short is no lock.
          sections.forEach((s, i) =>
            check.atLeast(`hold of [${s.tok}]`, s.leave - s.enter, holds[i]! - 1, `it sleeps ${holds[i]} ms inside`),
          );
          // Free again: the parent takes it at once.
          check.equal('acquire({ block: false }) in the parent after every child released', await lock.acquire({ block: false }), true);
          await lock.release();
          await kit.cleanup();
        },
      ),
      { numRuns: 6 },
    );
  });

  kit.test('the parent and a child exclude each other too, and the waiting child enters promptly on release', async () => {
    const b = await kit.bounds();
    const lock = await maker(kit.mp, 'Lock')();
    check.equal('acquire() in the parent', await lock.acquire(), true);
    const child = await kit.start({ target: 'holdLock', args: [lock, 0, null] });
    await kit.observations.waitFor('ready', { tok: child.token });
    // The child is blocked in acquire(): it must not enter while the parent holds the lock.
    await sleep(3 * b.prompt);
    check.equal("the child's 'enter' records while the parent holds the lock", kit.observations.of('enter', child.token).length, 0);
    const releasedAt = monotonicNow();
    await lock.release();
    const [enter] = await kit.observations.waitFor('enter', { tok: child.token });
    check.atMost("delay of the waiting child's entry after the parent's release", enter!.t - releasedAt, b.prompt, b.basis);
    await child.handle.join();
    check.equal('exit code', await child.handle.exitCode(), 0);
  });
});
