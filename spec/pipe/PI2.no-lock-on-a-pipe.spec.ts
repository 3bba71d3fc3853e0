import type { Json } from '../adapter';
import { check } from '../harness/checks';
import { maker } from '../harness/critical-sections';
import { describeRule, type Kit } from '../harness/describe-rule';

const SIZE = 200_000; // far above Linux's 64 KiB pipe buffer
const EACH = 5;
const WAIT_MS = 3000;

const whole = (message: Json): string | null =>
  typeof message === 'string' && message.length === SIZE && (message === 'a'.repeat(SIZE) || message === 'b'.repeat(SIZE))
    ? message[0]!
    : null;

/** Takes up to `2 * EACH` messages from `take`, each within WAIT_MS; stops at the first broken one, error or stall. */
async function collect(take: () => Promise<Json>): Promise<{ whole: string[]; broken: string | null }> {
  const got: string[] = [];
  while (got.length < 2 * EACH) {
    let timer: NodeJS.Timeout | undefined;
    const pending = take();
    pending.catch(() => undefined); // settles late after a stall; nobody waits for it then
    const outcome = await Promise.race([
      pending.then(
        (message) => ({ message }),
        (error: Error) => ({ error: `an error: ${error.message.split('\n')[0]}` }),
      ),
      new Promise<{ error: string }>((resolve) => (timer = setTimeout(resolve, WAIT_MS, { error: `nothing for ${WAIT_MS} ms` }))),
    ]);
    clearTimeout(timer);
    if ('error' in outcome) return { whole: got, broken: outcome.error };
    const char = whole(outcome.message);
    if (char === null)
      return { whole: got, broken: `a broken message (${typeof outcome.message}, ${String((outcome.message as string).length)} long)` };
    got.push(char);
  }
  return { whole: got, broken: null };
}

async function senders(kit: Kit, end: unknown, target: string): Promise<void> {
  for (const char of ['a', 'b']) await kit.start({ target, args: [end as Json, char, SIZE, EACH] });
}

describeRule('PI2', (kit) => {
  kit.test('two children sending large messages through one queue: every message arrives whole', async () => {
    const queue = await maker(kit.mp, 'Queue')();
    await senders(kit, queue, 'queueSendLarge');
    const { whole: got, broken } = await collect(() => queue.get({ timeout: WAIT_MS }));
    check.equal('what went wrong through the queue', broken, null);
    check.equal(
      'messages of each sender, through the queue',
      [got.filter((c) => c === 'a').length, got.filter((c) => c === 'b').length],
      [EACH, EACH],
    );
    await kit.cleanup();
  });

  kit.test('the same through one end of a pipe: whole messages are ones that were sent; how often they break is reported', async () => {
    const [reader, writer] = await maker(kit.mp, 'Pipe')(false);
    await senders(kit, writer, 'pipeSendLarge');
    const { whole: got, broken } = await collect(() => reader.recv());
    // Every message that came whole is one of the sent ones (whole() checks it), no more of each than sent.
    check.that(
      got.filter((c) => c === 'a').length <= EACH && got.filter((c) => c === 'b').length <= EACH,
      `more whole messages than were sent: ${got.join('')}`,
    );
    kit.note(`${got.length} of ${2 * EACH} messages of ${SIZE} characters came whole through the pipe${broken ? `, then ${broken}` : ''}`);
    // The senders may be blocked on a pipe nobody reads any more: the kit ends them.
    await kit.cleanup();
  });
});
