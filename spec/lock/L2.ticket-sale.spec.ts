import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { check } from '../harness/checks';
import { maker } from '../harness/critical-sections';
import { describeRule, type Kit } from '../harness/describe-rule';

let sales = 0;

/** Runs one sale: `n` buyers released together by a gate, `tickets` in the file; returns who bought what. */
async function sell(
  kit: Kit,
  n: number,
  tickets: number,
  withLock: boolean,
  thinkMs: number,
): Promise<{ seenByBuyers: number[]; left: number }> {
  const file = join(kit.tmpDir, `tickets-${++sales}.json`);
  writeFileSync(file, JSON.stringify({ tickets }));
  try {
    const lock = withLock ? await maker(kit.mp, 'Lock')() : null;
    const gate = kit.gate();
    const buyers = [];
    for (let i = 0; i < n; i++) buyers.push(await kit.start({ target: 'buyTicket', args: [lock, file, thinkMs, gate.file] }));
    const tokens = buyers.map((b) => b.token);
    await kit.observations.waitFor('ready', { tok: tokens, count: n });
    gate.open();
    for (const buyer of buyers) await buyer.handle.join();
    for (const buyer of buyers) check.equal(`exit code of buyer [${buyer.token}]`, await buyer.handle.exitCode(), 0);
    const bought = kit.observations.of('bought', tokens);
    const soldOut = kit.observations.of('soldOut', tokens);
    check.equal('buyers that finished (bought or sold out)', bought.length + soldOut.length, n);
    const left = (JSON.parse(readFileSync(file, 'utf8')) as { tickets: number }).tickets;
    return { seenByBuyers: bought.map((o) => o.seen as number).sort((a, b) => b - a), left };
  } finally {
    rmSync(file, { force: true });
  }
}

/**
 * Detection: with the lock, the buyers' own readings must be exactly T, T-1, ... (each buyer saw what
 * the previous one left), so a lock that lets two buyers read the same count fails even when the
 * totals happen to come out right. Without the lock, buyers released together each think for longer
 * than any scheduling delay, so they all read the same count: overselling is shown, not hoped for.
 */
describeRule('L2', (kit) => {
  kit.test(
    'under the lock exactly min(N, T) buy, each seeing the count the previous left, and max(T - N, 0) remain (property, 6 runs)',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 5 }), async (n, tickets) => {
          const { seenByBuyers, left } = await sell(kit, n, tickets, true, 5);
          const sold = Math.min(n, tickets);
          check.equal(
            `counts the ${sold} buyers read (N=${n}, T=${tickets})`,
            seenByBuyers,
            Array.from({ length: sold }, (_, i) => tickets - i),
          );
          check.equal(`tickets left in the file (N=${n}, T=${tickets})`, left, Math.max(tickets - n, 0));
          await kit.cleanup();
        }),
        { numRuns: 6 },
      );
    },
  );

  kit.test('without a lock, buyers who read the same count all buy: more tickets are sold than exist', async () => {
    const b = await kit.bounds();
    // Think far longer than a scheduling delay, so every buyer reads before any writes.
    const { seenByBuyers, left } = await sell(kit, 4, 1, false, Math.max(200, 4 * b.prompt));
    check.atLeast('tickets sold of 1 without a lock (4 buyers)', seenByBuyers.length, 2, 'all four read 1 before any wrote');
    check.equal(
      'counts the buyers read',
      seenByBuyers,
      seenByBuyers.map(() => 1),
    );
    check.equal('tickets left in the file', left, 0);
  });
});
