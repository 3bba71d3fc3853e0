import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Json } from '../adapter';
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
  let run = 0;
  it("neither side sees the other's changes to module-level data (property, 5 runs)", async () => {
    const inherits = kit.mp.capabilities.has('inherits-parent-memory');
    await fc.assert(
      fc.asyncProperty(ops, ops, ops, async (parentBefore, childOps, parentAfter) => {
        await kit.mp.callInParent('resetGlobal');
        const atStart = (await kit.mp.callInParent('applyToGlobal', [parentBefore])) as Json[];
        expect(atStart).toEqual(model([], parentBefore));

        const gate = join(kit.tmpDir, `gate-${run++}`);
        const p = await kit.mp.Process({ target: 'isolationProbe', args: [childOps, gate] });
        await p.start();
        try {
          const pid = await p.pid();
          const mine = (event: string) => kit.observations.of(event).find((o) => o.pid === pid)?.list;
          await kit.observations.waitFor('after', run); // this run's child has changed its copy

          // What the child started from: a copy of the parent (fork) or the module as imported.
          expect(mine('before')).toEqual(inherits ? atStart : []);
          const childView = model(inherits ? atStart : [], childOps);
          expect(mine('after')).toEqual(childView);

          // The child's changes are not in the parent; the parent now changes its own copy.
          expect(await kit.mp.callInParent('readGlobal')).toEqual(atStart);
          expect(await kit.mp.callInParent('applyToGlobal', [parentAfter])).toEqual(model(atStart, parentAfter));

          writeFileSync(gate, '');
          await p.join();
          expect(await p.exitCode()).toBe(0);
          // ... and the parent's later changes never reached the child.
          expect(mine('final')).toEqual(childView);
        } finally {
          // A failed check (fast-check goes on shrinking) must not leave the probe waiting for its gate.
          writeFileSync(gate, '');
          await p.join();
        }
      }),
      {
        numRuns: 5,
        // -0 must survive every copy (JSON.stringify would make it 0; CPython keeps -0.0).
        examples: [[[{ op: 'append', value: -0 }], [{ op: 'append', value: { k: -0 } }], [{ op: 'set', value: [-0] }]]],
      },
    );
    await kit.mp.callInParent('resetGlobal');
  }, 60_000);
});
