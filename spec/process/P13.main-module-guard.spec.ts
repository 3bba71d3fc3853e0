import type { Capability } from '../adapter';
import { check, fail, show } from '../harness/checks';
import { describeRule, type Kit } from '../harness/describe-rule';
import { writerOf, type Observation } from '../harness/observations';
import { hasEnded } from '../harness/proc';

type Where = 'main' | 'tasks';

/**
 * The name under which a child runs the main module's code outside the guard, or null when it runs
 * none of it, from the capabilities (spec/adapter.ts): the whole main module again, as `__mp_main__`
 * (CPython spawn, forkserver); nothing (fork: the child is a copy of the parent); or only the
 * target's own module (ours), which is the main program when the target is defined there, loaded as
 * an ordinary module that the fixture names after its file, as Python names a module it imports.
 */
function mainModuleInChild(capabilities: ReadonlySet<Capability>, where: Where, program: string): string | null {
  const reruns = capabilities.has('reruns-main-module');
  const copies = capabilities.has('inherits-parent-memory');
  if (reruns && copies) fail("'reruns-main-module' and 'inherits-parent-memory' are both declared: a copy of the parent re-runs nothing");
  if (reruns) return '__mp_main__';
  return !copies && where === 'main' ? program : null;
}
const ranOfMain = (name: string | null): string => (name === null ? 'nothing' : `the code outside the guard, as ${name}`);

/** A record as one line naming its writer: 'child 0: topLevel as __mp_main__'. */
function describeRecord(o: Observation, writers: ReadonlyMap<number, string>): string {
  const details: Record<string, string> = {
    topLevel: ` as ${String(o.name)}`,
    identity: ` (tag ${String(o.tag)})`,
    refused: ` (${String(o.error)})`,
    joined: ` (exit code ${String(o.exitCode)})`,
    depthLimit: ` (depth ${String(o.depth)})`,
  };
  return `${writers.get(o.pid) ?? `pid ${o.pid}`}: ${o.event}${details[o.event] ?? ''}`;
}

interface Run {
  /** Writer pid to 'program', 'child 0', 'child 1', ..., from the program's own 'started' record. */
  writers: Map<number, string>;
  children: string[];
  records: Observation[];
  printed: unknown;
  stderr: string[];
}

/** Runs the program to its end (exit 0, one JSON line printed) and names the processes it started. */
async function runToEnd(kit: Kit, program: string, where: Where): Promise<Run> {
  const scenario = kit.scenario(program, [where]);
  const end = await scenario.ended;
  const stdout = scenario.lines('stdout').map((l) => l.text);
  const outcome = { exitCode: end.exitCode, signal: end.signal, linesPrinted: stdout.length };
  check.equal(`end of the program (${scenario.transcript()})`, outcome, { exitCode: 0, signal: null, linesPrinted: 1 });
  const records = kit.observations.all();
  const started = records.filter((o) => o.event === 'started' && o.pid === scenario.pid);
  check.equal("the program's 'started' records", started.length, 1);
  const childPids = started[0]!.childPids as number[];
  const writers = new Map<number, string>([[scenario.pid, 'program'], ...childPids.map((pid, i): [number, string] => [pid, `child ${i}`])]);
  check.equal('distinct processes among the program and its children', writers.size, childPids.length + 1);
  const stderr = scenario.lines('stderr').map((l) => l.text);
  return { writers, children: childPids.map((_, i) => `child ${i}`), records, printed: JSON.parse(stdout[0]!), stderr };
}

const recordsOf = (run: Run, who: string, events: readonly string[]): string[] =>
  run.records.filter((o) => run.writers.get(o.pid) === who && events.includes(o.event)).map((o) => describeRecord(o, run.writers));

/**
 * Nothing recursed, from the observation channel and /proc: the processes that wrote records are
 * exactly the program and the children it started (a process that loads the program writes
 * `topLevel` first thing, one that runs a target `identity`), and none is still running.
 */
function expectNoOtherProcess(run: Run): void {
  const { records, writers } = run;
  const firsts = records.filter((o, i) => records.findIndex((p) => p.pid === o.pid && p.st === o.st) === i);
  const strangers = firsts.filter((o) => !writers.has(o.pid)).map((o) => describeRecord(o, writers));
  check.equal(`records by processes other than the program and the ${writers.size - 1} it started`, strangers, []);
  const running = firsts.filter((o) => !hasEnded(writerOf(o)));
  check.equal(
    'processes still running after the program ended',
    running.map((o) => writers.get(o.pid)),
    [],
  );
}

/**
 * Detection: a child that runs the main module when it should not, or not when it should; the
 * guarded code run in a child; the wrong module name; an unguarded start() in a child let through
 * (the child records 'started' and its own child writes more records); another error instead of the
 * bootstrapping refusal; a refusal where nothing is being loaded. Each changes a record the spec
 * checks exactly, by writer, and the failure names that record first.
 */
describeRule('P13', (kit) => {
  for (const where of ['main', 'tasks'] as const) {
    kit.test(
      `the code outside the guard runs in the program and in each child that loads the main module, the guarded code in the program only (target in ${where})`,
      async () => {
        const run = await runToEnd(kit, 'mainGuard', where);
        const name = mainModuleInChild(kit.mp.capabilities, where, 'mainGuard');
        const guarded = run.records.filter((o) => o.event === 'guarded').map((o) => run.writers.get(o.pid) ?? `pid ${o.pid}`);
        check.equal('processes that ran the code under the guard', guarded, ['program']);
        check.equal("the program's own run of its top-level code", recordsOf(run, 'program', ['topLevel']), [
          'program: topLevel as __main__',
        ]);
        check.equal(
          `what each child ran of the main module before its target (${ranOfMain(name)})`,
          run.children.map((who) => recordsOf(run, who, ['topLevel'])),
          run.children.map((who) => (name === null ? [] : [`${who}: topLevel as ${name}`])),
        );
        check.equal(
          'the targets each child ran',
          run.children.map((who) => recordsOf(run, who, ['identity'])),
          run.children.map((who) => [`${who}: identity (tag ${where})`]),
        );
        // Where the main module runs again, it is before the target, which may depend on it.
        for (const identity of run.records.filter((o) => o.event === 'identity')) {
          const topLevel = run.records.find((o) => o.event === 'topLevel' && o.pid === identity.pid);
          if (topLevel)
            check.that(topLevel.t < identity.t, `${run.writers.get(identity.pid)} ran its target before the main module's code`);
        }
        expectNoOtherProcess(run);
        check.equal('records in all', run.records.length, 3 + run.children.length * (name === null ? 1 : 2));
        check.equal('what the program printed', run.printed, { exitCodes: run.children.map(() => 0) });
        check.equal("the program's stderr", run.stderr, []);
      },
    );

    kit.test(
      `a start() outside the guard starts one child; where that child runs the main module, the same start() there is refused (bootstrapping) and the child fails, so nothing recurses (target in ${where})`,
      async () => {
        const run = await runToEnd(kit, 'unguardedStart', where);
        const name = mainModuleInChild(kit.mp.capabilities, where, 'unguardedStart');
        check.equal('children the program started', run.children, ['child 0']);
        check.equal(
          `what the child ran of the main module (${ranOfMain(name)}), and what its own start() did`,
          recordsOf(run, 'child 0', ['topLevel', 'refused', 'started', 'depthLimit']),
          name === null ? [] : [`child 0: topLevel as ${name}`, 'child 0: refused (bootstrapping)'],
        );
        expectNoOtherProcess(run);
        const exitCode = name === null ? 0 : 1;
        // Sorted: under fork the child may write before the program's start() has returned.
        check.equal(
          'records by writer, sorted',
          run.records.map((o) => describeRecord(o, run.writers)).sort(),
          [
            'program: topLevel as __main__',
            'program: started',
            `program: joined (exit code ${exitCode})`,
            ...(name === null
              ? [`child 0: identity (tag ${where})`]
              : [`child 0: topLevel as ${name}`, 'child 0: refused (bootstrapping)']),
          ].sort(),
        );
        check.equal('what the program printed', run.printed, { exitCode });
        // The refusal is the error the child dies of, shown where a user would see it.
        if (name === null) check.equal("the program's stderr", run.stderr, []);
        else
          check.that(
            run.stderr.some((line) => /bootstrapping/i.test(line)),
            `the child's refused start() left no error naming the bootstrapping phase on stderr: ${show(run.stderr.slice(0, 5))}`,
          );
      },
    );
  }
});
