import { check } from '../harness/checks';
import { monotonicNow } from '../harness/clock';
import { maker } from '../harness/critical-sections';
import { describeRule } from '../harness/describe-rule';

const EARLY_MS = 2;

/**
 * Detection: the holder's death is read from /proc (its real exit), then the lock is tried for a
 * whole timeout from the parent and from a fresh child; an implementation that frees a dead
 * holder's lock (at exit, or on a later attempt) lets one of them in.
 */
describeRule('L5', (kit) => {
  for (const [kind, end] of [
    ['Lock', 'terminate'],
    ['Lock', 'kill'],
    ['RLock', 'kill'],
  ] as const) {
    kit.test(`a ${kind} held by a child that was ${end === 'kill' ? 'killed' : 'terminated'} stays held`, async () => {
      const b = await kit.bounds();
      const lock = await maker(kit.mp, kind)();
      const holder = await kit.start({ target: 'holdLockForever', args: [lock] });
      await kit.observations.waitFor('acquired', { tok: holder.token });
      await (end === 'kill' ? holder.handle.kill() : holder.handle.terminate());
      await holder.exited;
      await holder.handle.join();
      check.equal("the holder's exit code", await holder.handle.exitCode(), end === 'kill' ? -9 : -15);
      const timeout = Math.round(4 * b.prompt);
      const begin = monotonicNow();
      check.equal(`acquire({ timeout: ${timeout} }) in the parent after the holder died`, await lock.acquire({ timeout }), false);
      check.atLeast('duration of that acquire', monotonicNow() - begin, timeout - EARLY_MS, 'it must wait the whole timeout');
      const trier = await kit.start({ target: 'tryAcquire', args: [lock, true, timeout] });
      const [tried] = await kit.observations.waitFor('tried', { tok: trier.token });
      check.equal(`a new child's acquire(timeout=${timeout} ms) after the holder died`, tried!.acquired, false);
      await trier.handle.join();
    });
  }
});
