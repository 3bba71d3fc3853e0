import fc from 'fast-check';
import { UNSENDABLE, type Json, type ProcessOptions } from '../adapter';
import { check, fail } from '../harness/checks';
import { describeRule, type Kit } from '../harness/describe-rule';
import { rejectsWithCode } from '../harness/expect-error';

/**
 * The argument domain, stated: what users send, within what every implementation carries.
 * - Strings: empty to several thousand characters, from ASCII, any code point (astral included),
 *   and lone surrogates (JSON can carry them escaped; Python strings hold them).
 * - Numbers: any finite double, -0 included (pickle keeps -0.0; JSON.stringify would not).
 * - Nesting: up to 6 levels from the generator, and a fixed example 200 levels deep (CPython's
 *   pickle raises RecursionError near 500).
 * - Object keys: any string, the empty string and "__proto__" included.
 * - 0 to 5 positional arguments; keyword arguments absent, empty, or up to 4 of any string name.
 */
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('\ud800', '\udfff', 'é', '𝄞', 'a'), maxLength: 8 }),
  fc.string({ unit: 'grapheme', minLength: 1000, maxLength: 4000 }),
);
const key = fc.oneof(text, fc.constantFrom('', '__proto__', 'n', 'constructor'));
const scalar = fc.oneof(fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), text);
const { value } = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 6 },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ) as fc.Arbitrary<Json>,
}));
const positional = fc.array(value, { maxLength: 5 });
const keywords = fc.option(fc.dictionary(key, value, { maxKeys: 4 }), { nil: undefined });

/** 200 levels of alternating arrays and objects, around a -0 and an astral character. */
const deep = (): Json => {
  let v: Json = [-0, '𝄞'];
  for (let i = 0; i < 200; i++) v = i % 2 ? [v] : { [i % 4 ? '' : '__proto__']: v };
  return v;
};

/** Runs recordArguments with exactly these arguments and returns what the child recorded. */
async function recorded(kit: Kit, args: Json[], kwargs: Record<string, Json> | undefined): Promise<unknown> {
  const options: ProcessOptions = { target: 'recordArguments', args: [args.length, ...args], ...(kwargs === undefined ? {} : { kwargs }) };
  const child = await kit.start(options);
  await child.handle.join();
  check.equal('exit code of recordArguments', await child.handle.exitCode(), 0);
  const seen = kit.observations.of('arguments', child.token);
  check.equal('number of arguments records', seen.length, 1);
  const { args: a, extra, kwargs: k } = seen[0]!;
  return { args: a, extra, kwargs: k };
}

describeRule('P2', (kit) => {
  kit.test(
    'positional and keyword arguments arrive exactly as given, nothing added or dropped (property, 8 runs)',
    async () => {
      await fc.assert(
        fc.asyncProperty(positional, keywords, async (args, kwargs) => {
          check.equal('what the child received', await recorded(kit, args, kwargs), { args, extra: [], kwargs: kwargs ?? {} });
        }),
        {
          numRuns: 8,
          examples: [
            [[-0, 1.5e300, 5e-324, -1e-7], { k: -0 }],
            [[deep(), 'x'.repeat(20_000)], { '': deep(), ['__proto__']: ['𝄞\ud800'] }],
            [[], undefined],
          ],
        },
      );
    },
    { budget: 90_000 },
  );

  kit.test('with positional arguments only, the keyword arguments are empty', async () => {
    check.equal('what the child received', await recorded(kit, ['meet', 18], undefined), { args: ['meet', 18], extra: [], kwargs: {} });
  });

  const refused = async (options: ProcessOptions, what: string, names?: RegExp): Promise<void> => {
    const before = kit.processTree();
    const error = await rejectsWithCode(async () => {
      const p = await kit.mp.Process({ target: 'recordArguments', args: [0], ...options });
      await p.start();
    }, 'ERR_MP_INVALID_OPTION').catch((e: Error) => fail(`${what}: ${e.message.split('\n')[0]}`));
    if (names && !names.test(error.message)) fail(`the error for ${what} does not name it: ${error.message.split('\n')[0]}`);
    await kit.expectNothingStarted(before, `after ${what} was refused`);
  };

  kit.test(
    'an unknown constructor option such as age=18 is refused, naming it, and nothing starts (seed 002 claims it becomes an attribute)',
    () => refused({ age: 18 }, 'the unknown option age', /\bage\b/),
  );

  kit.test('args that is not a sequence, kwargs that is not a mapping, and a group are refused, and nothing starts', async () => {
    await refused({ args: 5 as unknown as Json[] }, 'args=5');
    await refused({ kwargs: [1] as unknown as Record<string, Json> }, 'kwargs=[1]');
    await refused({ group: 1 }, 'group=1');
  });

  kit.test('an empty name falls back to the default name', async () => {
    const p = await kit.mp.Process({ target: 'noop', name: '' });
    const name = await p.name();
    check.that(
      typeof name === 'string' && /^Process-\d+$/.test(name),
      `name after name='': expected Process-N, got ${JSON.stringify(name)}`,
    );
  });

  kit.test('ill-typed values of known options are accepted as CPython accepts them (name=42 stays 42)', async () => {
    let p;
    try {
      p = await kit.mp.Process({ target: 'noop', name: 42 as unknown as string, daemon: 'yes' as unknown as boolean });
    } catch (error) {
      fail(`Process(name=42, daemon='yes') was refused (${(error as { code?: string }).code}); CPython constructs it`);
    }
    check.equal('name after name=42', await p.name(), 42);
    check.equal("daemon after daemon='yes'", await p.daemon(), 'yes');
  });

  kit.test('an unsendable keyword argument is handled as an unsendable positional one (P11)', async () => {
    // Only the routing is checked here: kwargs go through the same serialization as args.
    const p = await kit.mp.Process({ target: 'recordArguments', args: [0], kwargs: { k: UNSENDABLE } });
    if (kit.mp.capabilities.has('refuses-unsendable')) {
      await rejectsWithCode(() => p.start(), 'ERR_MP_NOT_SENDABLE');
    } else {
      await p.start();
      await p.join();
      check.equal('exit code', await p.exitCode(), 0);
    }
  });
});
