import { setTimeout as sleep } from 'node:timers/promises';
import { check, fail } from '../harness/checks';
import { monotonicNow } from '../harness/clock';
import { describeRule } from '../harness/describe-rule';
import { writerOf } from '../harness/observations';
import { hasEnded } from '../harness/proc';

const ITEMS = Array.from({ length: 30 }, (_, i) => ({ n: i }));

describeRule('Q10', (kit) => {
  kit.test("a queue made by a child still carries its children's items after it is SIGKILLed", async () => {
    const b = await kit.bounds();
    const gate = kit.gate();
    const creator = await kit.start({ target: 'queueTree', args: [ITEMS, gate.file] });
    const [producer, consumer] = [`${creator.token}.1`, `${creator.token}.2`];
    await kit.observations.waitFor('tree', { tok: creator.token });
    const ready = await kit.observations.waitFor('ready', { tok: [producer, consumer], count: 2 });
    for (const o of ready) kit.mp.ledger.addObserved(writerOf(o), `grandchild [${o.tok}]`);
    await creator.handle.kill();
    await creator.exited;
    await creator.handle.join();
    check.equal("the creator's exit code", await creator.handle.exitCode(), -9);
    gate.open();
    const [consumed] = await kit.observations.waitFor('consumed', { tok: consumer, timeout: 15_000 });
    check.equal("the items the consumer got from the producer, after their creator's death", consumed!.items, ITEMS);
    const deadline = monotonicNow() + 10 * b.prompt;
    while (!ready.every((o) => hasEnded(writerOf(o)))) {
      if (monotonicNow() > deadline) fail(`the grandchildren did not end within ${Math.round(10 * b.prompt)} ms of their last record`);
      await sleep(5);
    }
  });
});
