import { setTimeout as sleep } from 'node:timers/promises';
import { check, fail } from '../harness/checks';
import { monotonicNow } from '../harness/clock';
import { describeRule } from '../harness/describe-rule';
import { hasEnded } from '../harness/proc';

/** Timer rounding: a wait may end up to this much before its nominal timeout (Python rounds to the ms). */
const EARLY_MS = 2;

describeRule('P8', (kit) => {
  kit.test('join(timeout) gives up after about the timeout, zero included; the child runs on, alive with no exit code', async () => {
    const b = await kit.bounds();
    const gate = kit.gate();
    const child = await kit.start({ target: 'gatedExit', args: [gate.file, 0] });
    await kit.observations.waitFor('started', { tok: child.token });
    for (const timeout of [0, 5 * b.prompt, 15 * b.prompt]) {
      const begin = monotonicNow();
      await child.handle.join({ timeout });
      const elapsed = monotonicNow() - begin;
      check.atLeast(`duration of join({ timeout: ${timeout.toFixed(0)} })`, elapsed, timeout - EARLY_MS, 'it must wait the whole timeout');
      check.atMost(`overrun of join({ timeout: ${timeout.toFixed(0)} }) past its timeout`, elapsed - timeout, b.prompt, b.basis);
      if (child.id && hasEnded(child.id)) fail('the child ended during join(timeout), though its gate was closed');
      check.equal('isAlive() after join(timeout)', await child.handle.isAlive(), true);
      check.equal('exitCode after join(timeout)', await child.handle.exitCode(), null);
    }
    gate.open();
    await child.handle.join();
  });

  kit.test('join(timeout) on a child that ends first returns when it ends', async () => {
    const b = await kit.bounds();
    const gate = kit.gate();
    const child = await kit.start({ target: 'gatedExit', args: [gate.file, 0] });
    await kit.observations.waitFor('started', { tok: child.token });
    const generous = 100 * b.prompt;
    const joined = child.handle.join({ timeout: generous }).then(() => monotonicNow());
    await sleep(3 * b.prompt);
    gate.open();
    const returnedAt = await joined;
    check.atMost("lateness of join(timeout) after the child's exit", returnedAt - (await child.exited), b.prompt, b.basis);
    check.equal('exit code', await child.handle.exitCode(), 0);
  });
});
