import { check } from '../harness/checks';
import { expectNoOverlap, maker, sectionsOf } from '../harness/critical-sections';
import { describeRule } from '../harness/describe-rule';

const EARLY_MS = 2;

/**
 * Detection: the span from the first entry to the last exit is bounded below by N x d (the
 * children's own clocks) and above by N x d plus one prompt hand-off per holder (the harness's
 * yardstick), so both a lock that lets holders overlap and one that hands over slowly fail.
 */
describeRule('L6', (kit) => {
  kit.test('N children each holding the lock for d take at least N x d from first entry to last exit, and not much more', async () => {
    const b = await kit.bounds();
    const n = 3;
    const hold = Math.round(Math.max(50, 2 * b.prompt));
    const lock = await maker(kit.mp, 'Lock')();
    const gate = kit.gate();
    const children = [];
    for (let i = 0; i < n; i++) children.push(await kit.start({ target: 'holdLock', args: [lock, hold, gate.file] }));
    const tokens = children.map((c) => c.token);
    await kit.observations.waitFor('ready', { tok: tokens, count: n });
    gate.open();
    for (const child of children) await child.handle.join();
    const sections = sectionsOf(kit.observations, tokens);
    expectNoOverlap(sections, `${n} holders of one Lock`);
    const span = Math.max(...sections.map((s) => s.leave)) - Math.min(...sections.map((s) => s.enter));
    check.atLeast(`span of ${n} holds of ${hold} ms`, span, n * hold - n * EARLY_MS, 'the holds cannot overlap');
    check.atMost(
      `span of ${n} holds of ${hold} ms beyond ${n * hold} ms`,
      span - n * hold,
      n * b.prompt,
      `one prompt hand-off per holder, ${b.basis}`,
    );
  });
});
