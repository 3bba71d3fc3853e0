import { check, fail } from '../harness/checks';
import { expectNoOverlap, maker, sectionsOf } from '../harness/critical-sections';
import { describeRule } from '../harness/describe-rule';

/**
 * Detection: children released together by a gate hold their locks far longer than any start or
 * scheduling delay, so with a lock each they are all inside at the same moment (shown exactly,
 * from their own clocks), and with the parent's one lock never two at once.
 */
describeRule('L7', (kit) => {
  kit.test('children that each make their own Lock are all inside at once; with the parent’s one Lock, never two', async () => {
    const b = await kit.bounds();
    const n = 3;
    const hold = Math.round(Math.max(200, 4 * b.prompt));

    const gate = kit.gate();
    const own = [];
    for (let i = 0; i < n; i++) own.push(await kit.start({ target: 'holdOwnLock', args: [hold, gate.file] }));
    const ownTokens = own.map((c) => c.token);
    await kit.observations.waitFor('ready', { tok: ownTokens, count: n });
    gate.open();
    for (const child of own) await child.handle.join();
    for (const child of own) check.equal(`exit code of [${child.token}]`, await child.handle.exitCode(), 0);
    const separate = sectionsOf(kit.observations, ownTokens);
    const lastEnter = Math.max(...separate.map((s) => s.enter));
    const firstLeave = Math.min(...separate.map((s) => s.leave));
    if (lastEnter >= firstLeave) {
      fail(
        `with a Lock made in each child, the ${n} children were never all inside at once: the last entered ${(lastEnter - firstLeave).toFixed(1)} ms after the first left`,
      );
    }

    const lock = await maker(kit.mp, 'Lock')();
    const gate2 = kit.gate();
    const shared = [];
    for (let i = 0; i < n; i++) shared.push(await kit.start({ target: 'holdLock', args: [lock, Math.round(hold / 4), gate2.file] }));
    const sharedTokens = shared.map((c) => c.token);
    await kit.observations.waitFor('ready', { tok: sharedTokens, count: n });
    gate2.open();
    for (const child of shared) await child.handle.join();
    expectNoOverlap(sectionsOf(kit.observations, sharedTokens), `${n} children given the parent's one Lock`);
  });
});
