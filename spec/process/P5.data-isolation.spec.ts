import fc from 'fast-check';
import type { Json } from '../adapter';
import { check } from '../harness/checks';
import { describeRule } from '../harness/describe-rule';

type Op = { op: 'append'; value: Json } | { op: 'pop' } | { op: 'set'; value: Json[] };

const value = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>;
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('append' as const), value }),
  fc.record({ op: fc.constant('pop' as const) }),
  fc.record({ op: fc.constant('set' as const), value: fc.array(value, { maxLength: 3 }) }),
);
const ops = fc.array(op, { minLength: 1, maxLength: 5 });

/** The model: what a list looks like after `ops`, computed here, never by the implementation. */
function model(start: readonly Json[], mutations: readonly Op[]): Json[] {
  const list = [...start];
  for (const m of mutations) {
    if (m.op === 'append') list.push(m.value);
    else if (m.op === 'pop') list.pop();
    else list.splice(0, list.length, ...m.value);
  }
  return list;
}

describeRule('P5', (kit) => {
  kit.test(
    "neither side sees the other's changes to module-level data (property, 5 runs)",
    async () => {
      const inherits = kit.mp.capabilities.has('inherits-parent-memory');
      await fc.assert(
        fc.asyncProperty(ops, ops, ops, async (parentBefore, childOps, parentAfter) => {
          await kit.mp.callInParent('resetGlobal');
          const atStart = (await kit.mp.callInParent('applyToGlobal', [parentBefore])) as Json[];
          check.equal('the parent list after its own changes', atStart, model([], parentBefore));

          const gate = kit.gate();
          const child = await kit.start({ target: 'isolationProbe', args: [childOps, gate.file] });
          try {
            const mine = (event: string): unknown => kit.observations.of(event, child.token)[0]?.list;
            await kit.observations.waitFor('after', { tok: child.token }); // the child has changed its copy

            // What the child started from: a copy of the parent (fork) or the module as imported.
            check.equal('the list the child started with', mine('before'), inherits ? atStart : []);
            const childView = model(inherits ? atStart : [], childOps);
            check.equal("the child's list after its changes", mine('after'), childView);

            // The child's changes are not in the parent; the parent now changes its own copy.
            check.equal("the parent's list after the child's changes", await kit.mp.callInParent('readGlobal'), atStart);
            check.equal(
              "the parent's list after its later changes",
              await kit.mp.callInParent('applyToGlobal', [parentAfter]),
              model(atStart, parentAfter),
            );

            gate.open();
            await child.handle.join();
            check.equal('exit code of the probe', await child.handle.exitCode(), 0);
            // ... and the parent's later changes never reached the child.
            check.equal("the child's list after the parent's later changes", mine('final'), childView);
          } finally {
            // A failed check (fast-check goes on shrinking) must not leave the probe waiting for its gate.
            gate.open();
            await kit.cleanup();
          }
        }),
        {
          numRuns: 5,
          // -0 must survive every copy (JSON.stringify would make it 0; CPython keeps -0.0).
          examples: [[[{ op: 'append', value: -0 }], [{ op: 'append', value: { k: -0 } }], [{ op: 'set', value: [-0] }]]],
        },
      );
      await kit.mp.callInParent('resetGlobal');
    },
    { budget: 60_000 },
  );
});
