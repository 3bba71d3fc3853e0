import { check } from '../harness/checks';
import { maker } from '../harness/critical-sections';
import { describeRule } from '../harness/describe-rule';
import { rejectsWithCode } from '../harness/expect-error';

describeRule('L4', (kit) => {
  kit.test('releasing a Lock nobody holds is an error, and the lock stays usable', async () => {
    const lock = await maker(kit.mp, 'Lock')();
    await rejectsWithCode(() => lock.release(), 'ERR_MP_NOT_HELD');
    check.equal('acquire({ block: false }) after the failed release', await lock.acquire({ block: false }), true);
    // Not re-entrant: the holder's second attempt fails.
    check.equal('a second acquire({ block: false }) by the holder of a Lock', await lock.acquire({ block: false }), false);
    await lock.release();
    await rejectsWithCode(() => lock.release(), 'ERR_MP_NOT_HELD');
  });

  kit.test("a child may release the parent's Lock; releasing it again there is the same error", async () => {
    const lock = await maker(kit.mp, 'Lock')();
    check.equal('acquire() in the parent', await lock.acquire(), true);
    const releaser = await kit.start({ target: 'releaseLock', args: [lock] });
    await releaser.handle.join();
    check.equal('what the child recorded', kit.observations.of('released', releaser.token).length, 1);
    check.equal("acquire({ block: false }) in the parent after the child's release", await lock.acquire({ block: false }), true);
    await lock.release();
    const again = await kit.start({ target: 'releaseLock', args: [lock] });
    await again.handle.join();
    const [failed] = kit.observations.of('releaseFailed', again.token);
    check.equal("a child's release of a free Lock", failed?.kind, 'not-held');
  });

  kit.test('an RLock is re-entrant for its holder, must be released as often, and only by its holder', async () => {
    const b = await kit.bounds();
    const rlock = await maker(kit.mp, 'RLock')();
    for (let i = 1; i <= 3; i++)
      check.equal(`acquire({ block: false }) number ${i} by the holder`, await rlock.acquire({ block: false }), true);
    // Held (three deep): a child can neither take it nor release it.
    const trier = await kit.start({ target: 'tryAcquire', args: [rlock, true, Math.round(2 * b.prompt)] });
    const [tried] = await kit.observations.waitFor('tried', { tok: trier.token });
    check.equal("a child's acquire(timeout) of the parent's RLock", tried!.acquired, false);
    await trier.handle.join();
    const thief = await kit.start({ target: 'releaseLock', args: [rlock] });
    await thief.handle.join();
    check.equal("a child's release of the parent's RLock", kit.observations.of('releaseFailed', thief.token)[0]?.kind, 'not-owner');
    await rlock.release();
    await rlock.release();
    // One acquire is still outstanding: the RLock is still held.
    const early = await kit.start({ target: 'tryAcquire', args: [rlock, false, null] });
    const [tooEarly] = await kit.observations.waitFor('tried', { tok: early.token });
    check.equal("a child's acquire({ block: false }) after two of the holder's three releases", tooEarly!.acquired, false);
    await early.handle.join();
    await rlock.release();
    await rejectsWithCode(() => rlock.release(), 'ERR_MP_NOT_OWNER');
    // Free after three releases: a child takes it at once.
    const taker = await kit.start({ target: 'tryAcquire', args: [rlock, false, null] });
    const [taken] = await kit.observations.waitFor('tried', { tok: taker.token });
    check.equal("a child's acquire({ block: false }) after the holder's three releases", taken!.acquired, true);
    await taker.handle.join();
  });
});
