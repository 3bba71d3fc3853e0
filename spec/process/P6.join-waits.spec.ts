import { check, fail } from '../harness/checks';
import { monotonicNow } from '../harness/clock';
import { describeRule, type Started } from '../harness/describe-rule';
import { hasEnded } from '../harness/proc';

/**
 * join() is timed against the child's real exit, read from /proc by the harness, never against
 * the implementation's own figures. Detection: a join() that notices exits on a 100 ms poll is late
 * by U(0, 100) ms per sample; 6 samples with at most one over `promptMost` (13-25 ms unloaded) pass such
 * a join with probability under 0.3 %.
 */
const SAMPLES = 6;
const ALLOWED_OVER = 1;

/** join() on a running child: returns no earlier than the exit and no later than `prompt` after it. */
async function joinLateness(child: Started): Promise<number> {
  await child.handle.join();
  const returnedAt = monotonicNow();
  // The harness's own view at the moment join() returned: the child must have ended.
  if (child.id && !hasEnded(child.id)) fail(`join() returned while pid ${child.pid} was still running`);
  return returnedAt - (await child.exited);
}

describeRule('P6', (kit) => {
  kit.test(`join() returns only after the child has ended, and promptly after (${SAMPLES} samples)`, async () => {
    const b = await kit.bounds();
    const late: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const child = await kit.start({ target: 'sleepFor', args: [100] });
      late.push(await joinLateness(child));
      check.equal('exit code', await child.handle.exitCode(), 0);
    }
    const over = late.filter((ms) => ms > b.promptMost);
    check.that(
      over.length <= ALLOWED_OVER,
      `join() returned later than ${b.promptMost.toFixed(1)} ms after the child's exit in ${over.length} of ${SAMPLES} samples ` +
        `(${late.map((ms) => ms.toFixed(1)).join(', ')} ms; bound ${b.basis})`,
    );
  });

  kit.test('after join() the process is not alive, has exit code 0, and its task finished before join() returned', async () => {
    const child = await kit.start({ target: 'sleepFor', args: [100] });
    await child.handle.join();
    const joinedAt = monotonicNow();
    const finished = kit.observations.of('finished', child.token);
    check.equal("number of the task's 'finished' records", finished.length, 1);
    check.that(finished[0]!.t <= joinedAt, "the task's 'finished' record was written after join() returned");
    check.equal('isAlive() after join()', await child.handle.isAlive(), false);
    check.equal('exit code after join()', await child.handle.exitCode(), 0);
  });

  kit.test('join() on a child that has already ended returns at once, before and after it was joined', async () => {
    const b = await kit.bounds();
    const child = await kit.start({ target: 'noop' });
    await child.exited; // ended, and (for CPython) not yet reaped
    const timed = async (): Promise<number> => {
      const begin = monotonicNow();
      await child.handle.join();
      return monotonicNow() - begin;
    };
    check.atMost('duration of join() on an ended, unjoined child', await timed(), b.prompt, b.basis);
    check.atMost('duration of a second join()', await timed(), b.prompt, b.basis);
    check.equal('exit code', await child.handle.exitCode(), 0);
  });
});
