import fc from 'fast-check';
import { check } from '../harness/checks';
import { within } from '../harness/deadline';
import { describeRule } from '../harness/describe-rule';
import { EXCHANGE_MS, dropClients, echo, finish, startEchoServer } from './echo-server';
import { upperCaseAgreement } from './upper-case-agreement';

/**
 * Detection: a server that decodes each chunk on its own (the seed's) breaks on the first character
 * cut across two reads, which every case here makes happen (its first part is read with a line that
 * comes back before the rest is sent); one that strips a byte order mark, drops or reorders bytes,
 * or upper-cases with another table fails the property with the text that shows it.
 */
const RUNS = 100;

/** Code points of text, mostly ASCII, then 2, 3 and 4 UTF-8 bytes, kept where Python and JavaScript upper-case alike. */
function textOf(agrees: (cp: number) => boolean): fc.Arbitrary<string> {
  const codePoint = fc
    .oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0x00, max: 0x7f }) },
      { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0x7ff }) },
      { weight: 2, arbitrary: fc.integer({ min: 0x800, max: 0xffff }) },
      { weight: 1, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }) },
    )
    .filter((cp) => cp !== 0x0a && agrees(cp)); // a newline ends the client's line
  return fc.array(codePoint, { maxLength: 24 }).map((cps) => String.fromCodePoint(...cps));
}

describeRule('T1', (kit) => {
  afterEach(dropClients);

  kit.test('"hello" gets "HELLO"; the reply ends when the client ends', async () => {
    const server = await startEchoServer(kit);
    const client = await server.connect();
    check.equal("the server's reply to 'hello'", await echo(client, 'hello'), 'HELLO');
    const rest = await finish(client);
    check.equal('what comes back after the client ends', rest, '');
    await server.stop();
  });

  kit.test(
    `any text comes back upper-cased and otherwise unchanged, a character cut across two reads included (fast-check, ${RUNS} runs)`,
    async () => {
      const agreement = upperCaseAgreement();
      const server = await startEchoServer(kit);
      const client = await server.connect();
      await fc.assert(
        fc.asyncProperty(textOf(agreement.agrees), fc.nat(), async (text, cut) => {
          const bytes = Buffer.from(`${text}\n`);
          const at = cut % bytes.length; // anywhere, inside a character's bytes too
          // 'a' and a newline go with the first part: its echo shows the server has read that part
          // before the rest is sent, so the text really arrives in two reads.
          await client.write(Buffer.concat([Buffer.from('a\n'), bytes.subarray(0, at)]));
          check.equal('the echo of the line sent with the first part', await within(client.readLine(), EXCHANGE_MS, 'the echo'), 'A');
          await client.write(bytes.subarray(at));
          const got = await within(client.readLine(), EXCHANGE_MS, 'the echo of the text');
          check.equal(`the echo of ${JSON.stringify(text)} cut after byte ${at}`, got, text.toUpperCase());
        }),
        { numRuns: RUNS },
      );
      await server.stop();
    },
    { budget: 60_000 },
  );
});
