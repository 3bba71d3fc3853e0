import fc from 'fast-check';
import type { Json, QueueHandle } from '../adapter';
import { check } from '../harness/checks';
import { monotonicNow } from '../harness/clock';
import { maker } from '../harness/critical-sections';
import { describeRule } from '../harness/describe-rule';
import { rejectsWithCode } from '../harness/expect-error';
import type { Bounds } from '../harness/yardstick';

const EARLY_MS = 2;

/** The model: the items in the queue and the unfinished count, computed here, never by the implementation. */
interface Model {
  items: number[];
  unfinished: number;
  next: number;
}
interface Real {
  queue: QueueHandle;
  b: Bounds;
}
type Command = fc.AsyncCommand<Model, Real>;

const put: Command = {
  check: () => true,
  run: async (m, { queue }) => {
    await queue.put(m.next);
    m.items.push(m.next++);
    m.unfinished++;
  },
  toString: () => 'put',
};
const get: Command = {
  check: (m) => m.items.length > 0,
  run: async (m, { queue }) => check.equal('get()', await queue.get({ timeout: 10_000 }), m.items.shift()!),
  toString: () => 'get',
};
const taskDone: Command = {
  check: () => true,
  run: async (m, { queue }) => {
    if (m.unfinished === 0) {
      await rejectsWithCode(() => queue.taskDone!(), 'ERR_MP_TOO_MANY_TASK_DONE');
      return;
    }
    await queue.taskDone!();
    m.unfinished--;
  },
  toString: () => 'taskDone',
};
const join: Command = {
  check: () => true,
  run: async (m, { queue, b }) => {
    // join() with a short timeout: it must return at once with nothing unfinished, and wait the
    // whole timeout otherwise (the contract's join resolves either way).
    const timeout = Math.round(2 * b.prompt);
    const begin = monotonicNow();
    await queue.join!({ timeout });
    const elapsed = monotonicNow() - begin;
    if (m.unfinished === 0) check.atMost(`join() with nothing unfinished`, elapsed, b.prompt, b.basis);
    else check.atLeast(`join() with ${m.unfinished} unfinished`, elapsed, timeout - EARLY_MS, 'it must wait while items are unfinished');
  },
  toString: () => 'join',
};

describeRule('J1', (kit) => {
  kit.test('put, get, taskDone and join follow the counting model (model-based, 5 runs)', async () => {
    const b = await kit.bounds();
    await fc.assert(
      fc.asyncProperty(
        fc.commands([fc.constant(put), fc.constant(get), fc.constant(taskDone), fc.constant(join)], { maxCommands: 12 }),
        async (commands) => {
          const queue = await maker(kit.mp, 'JoinableQueue')();
          await fc.asyncModelRun(() => ({ model: { items: [], unfinished: 0, next: 0 }, real: { queue, b } }), commands);
        },
      ),
      { numRuns: 5 },
    );
  });

  kit.test("join() in the parent returns promptly after a child's last taskDone()", async () => {
    const b = await kit.bounds();
    const queue = await maker(kit.mp, 'JoinableQueue')();
    const items: Json[] = [1, 2, 3, 4, 5];
    for (const item of items) await queue.put(item);
    const worker = await kit.start({ target: 'workJoinable', args: [queue, items.length] });
    await queue.join!();
    const joinedAt = monotonicNow();
    const [worked] = await kit.observations.waitFor('worked', { tok: worker.token });
    check.equal('the items the child worked on', worked!.items, items);
    // 'worked' is written after the last taskDone(): join() may return before it, never long after.
    check.atMost("delay of join()'s return after the child's last taskDone()", joinedAt - worked!.t, b.prompt, b.basis);
    await worker.handle.join();
    await rejectsWithCode(() => queue.taskDone!(), 'ERR_MP_TOO_MANY_TASK_DONE');
  });
});
