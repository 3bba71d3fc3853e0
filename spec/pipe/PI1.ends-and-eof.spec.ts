import { check } from '../harness/checks';
import { monotonicNow } from '../harness/clock';
import { maker } from '../harness/critical-sections';
import { describeRule } from '../harness/describe-rule';
import { rejectsWithCode } from '../harness/expect-error';

const EARLY_MS = 2;

describeRule('PI1', (kit) => {
  kit.test('both ends of a duplex pipe send and receive', async () => {
    const [mine, theirs] = await maker(kit.mp, 'Pipe')(true);
    const echo = await kit.start({ target: 'pipeEcho', args: [theirs, 3] });
    for (const item of ['one', { two: [2] }, -0]) {
      await mine.send(item);
      check.equal(`the echo of ${JSON.stringify(item)}`, await mine.recv(), item);
    }
    await echo.handle.join();
  });

  kit.test('a one-way pipe has a receive-only end and a send-only end', async () => {
    const [reader, writer] = await maker(kit.mp, 'Pipe')(false);
    const onReader = await kit.start({ target: 'pipeMisuse', args: [reader] });
    await onReader.handle.join();
    check.equal('send() on the receiving end, in a child', kit.observations.of('misused', onReader.token)[0]?.send, 'read-only');
    const onWriter = await kit.start({ target: 'pipeMisuse', args: [writer] });
    await onWriter.handle.join();
    check.equal('recv() on the sending end, in a child', kit.observations.of('misused', onWriter.token)[0]?.recv, 'write-only');
    // The child's send(1) on the sending end went through.
    check.equal('what the send-only end sent', await reader.recv(), 1);
  });

  kit.test("end of file comes only once every copy of the sending end is closed, the parent's included", async () => {
    const b = await kit.bounds();
    const [reader, writer] = await maker(kit.mp, 'Pipe')(false);
    const sender = await kit.start({ target: 'pipeSend', args: [writer, ['a', 'b'], true] });
    await sender.handle.join();
    check.equal('first message', await reader.recv(), 'a');
    check.equal('second message', await reader.recv(), 'b');
    // The child closed its copy, but the parent still holds one: no end of file, poll waits.
    const timeout = Math.round(3 * b.prompt);
    const begin = monotonicNow();
    check.equal(`poll(${timeout}) with the parent's copy of the sending end still open`, await reader.poll(timeout), false);
    check.atLeast(`duration of poll(${timeout})`, monotonicNow() - begin, timeout - EARLY_MS, 'it must wait the whole timeout');
    await writer.close();
    check.equal('poll(0) once every copy is closed (end of file is ready)', await reader.poll(0), true);
    await rejectsWithCode(() => reader.recv(), 'ERR_MP_EOF');
  });
});
