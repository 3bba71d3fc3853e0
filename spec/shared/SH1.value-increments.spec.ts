import { check } from '../harness/checks';
import { maker } from '../harness/critical-sections';
import { describeRule, type Kit } from '../harness/describe-rule';

const CHILDREN = 4;

/** `CHILDREN` children released together, each adding 1 to the Value `n` times; returns the final value. */
async function increment(kit: Kit, n: number, useLock: boolean): Promise<number> {
  const value = await maker(kit.mp, 'Value')('i', 0);
  const gate = kit.gate();
  const children = [];
  for (let i = 0; i < CHILDREN; i++) children.push(await kit.start({ target: 'incrementValue', args: [value, n, useLock, gate.file] }));
  const tokens = children.map((c) => c.token);
  await kit.observations.waitFor('ready', { tok: tokens, count: CHILDREN });
  gate.open();
  for (const child of children) await child.handle.join({});
  for (const child of children) check.equal(`exit code of [${child.token}]`, await child.handle.exitCode(), 0);
  check.equal("children that finished their increments ('done' records)", kit.observations.of('done', tokens).length, CHILDREN);
  return value.get();
}

/**
 * Detection: with the lock the count must be exact (a Value that is not shared, or a lock that
 * does not cover the read and the write, comes out short); without it only what always holds is
 * asserted, and how many were lost is reported.
 */
describeRule('SH1', (kit) => {
  kit.test(`${CHILDREN} children x 2,000 increments inside the value's own lock count exactly`, async () => {
    check.equal(`final value after ${CHILDREN} x 2000 locked increments`, await increment(kit, 2000, true), CHILDREN * 2000);
  });

  kit.test(
    `${CHILDREN} children x 20,000 increments without the lock: never more than the total (losses are reported, not required)`,
    async () => {
      const n = 20_000;
      const final = await increment(kit, n, false);
      check.that(Number.isInteger(final) && final >= 2 && final <= CHILDREN * n, `final value ${final} is outside 2..${CHILDREN * n}`);
      kit.note(`without the lock, ${CHILDREN} x ${n} increments gave ${final}: ${CHILDREN * n - final} lost`);
    },
  );
});
