import { setTimeout as sleep } from 'node:timers/promises';
import { check, fail } from '../harness/checks';
import { monotonicNow } from '../harness/clock';
import { expectNoOverlap, sectionsOf } from '../harness/critical-sections';
import { describeRule } from '../harness/describe-rule';
import { writerOf } from '../harness/observations';
import { hasEnded } from '../harness/proc';

const GRANDCHILDREN = 3;

/**
 * Detection: the creator (a child running lockTree) is SIGKILLed once its own children have
 * attached, and its death is read from /proc before they are let go; then each increments the
 * shared Value inside the shared Lock with a hold between read and write. A lock or value that died
 * with its creator fails the grandchildren (no records), lets them overlap, or loses increments.
 */
describeRule('L8', (kit) => {
  kit.test("a Lock and a Value made by a child still serve that child's children after it is SIGKILLed", async () => {
    const b = await kit.bounds();
    const gate = kit.gate();
    const hold = Math.round(Math.max(20, b.prompt));
    const creator = await kit.start({ target: 'lockTree', args: [GRANDCHILDREN, hold, gate.file] });
    const tokens = Array.from({ length: GRANDCHILDREN }, (_, i) => `${creator.token}.${i + 1}`);
    await kit.observations.waitFor('tree', { tok: creator.token });
    const ready = await kit.observations.waitFor('ready', { tok: tokens, count: GRANDCHILDREN });
    // Their records say who they are: the kit watches them and ends them if the test fails.
    for (const o of ready) kit.mp.ledger.addObserved(writerOf(o), `grandchild [${o.tok}]`);

    await creator.handle.kill();
    await creator.exited;
    await creator.handle.join();
    check.equal("the creator's exit code", await creator.handle.exitCode(), -9);

    gate.open();
    const left = await kit.observations.waitFor('leave', { tok: tokens, count: GRANDCHILDREN, timeout: 10_000 + GRANDCHILDREN * hold });
    expectNoOverlap(sectionsOf(kit.observations, tokens), "the creator's children, after its death");
    check.equal(
      'values the grandchildren wrote, in order',
      left.map((o) => o.value as number).sort((x, y) => x - y),
      Array.from({ length: GRANDCHILDREN }, (_, i) => i + 1),
    );
    // Orphans now: nobody can join them, so the test waits for their real ends.
    const deadline = monotonicNow() + 10 * b.prompt;
    while (!ready.every((o) => hasEnded(writerOf(o)))) {
      if (monotonicNow() > deadline) fail(`the grandchildren did not end within ${Math.round(10 * b.prompt)} ms of their last record`);
      await sleep(5);
    }
  });
});
