import fc from 'fast-check';
import type { ProcessOptions } from '../adapter';
import { check, fail } from '../harness/checks';
import { describeRule } from '../harness/describe-rule';

describeRule('P10', (kit) => {
  const exitCodeOf = async (options: ProcessOptions): Promise<unknown> => {
    const child = await kit.start(options);
    await child.handle.join();
    return child.handle.exitCode();
  };

  kit.test('a task that returns gives 0', async () => {
    check.equal('exit code after return', await exitCodeOf({ target: 'noop' }), 0);
  });

  kit.test('a process with no target runs as a process of its own, does nothing, and gives 0 (seed 003 starts one)', async () => {
    const parent = await kit.mp.currentProcess();
    const child = await kit.start({});
    check.that(child.pid !== parent.pid, 'the process without a target has no pid of its own');
    await child.handle.join();
    check.equal('exit code without a target', await child.handle.exitCode(), 0);
    check.equal('records written without a target', kit.observations.all(), []);
  });

  kit.test(
    'exit(n) gives n for every n from 0 to 255 (property, 8 runs), and the OS keeps the low 8 bits: exit(256) gives 0, exit(-1) 255',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 255 }), async (n) => {
          check.equal(`exit code after exit(${n})`, await exitCodeOf({ target: 'exitWith', args: [n] }), n);
        }),
        { numRuns: 8, examples: [[3], [127], [128], [255]] },
      );
      check.equal('exit code after exit(256)', await exitCodeOf({ target: 'exitWith', args: [256] }), 0);
      check.equal('exit code after exit(-1)', await exitCodeOf({ target: 'exitWith', args: [-1] }), 255);
    },
    { budget: 60_000 },
  );

  kit.test('an uncaught error gives 1', async () => {
    check.equal('exit code after an uncaught error', await exitCodeOf({ target: 'raiseError', args: ['boom'] }), 1);
  });

  kit.test("an uncaught error prints the process's name and the error to stderr (whole program)", async () => {
    const message = `kaput-${Date.now()}`;
    const result = await kit.runProgram('childRaises', [message]);
    check.equal('exit code of the program', result.exitCode, 0);
    let printed: { exitCode?: unknown; name?: unknown };
    try {
      printed = JSON.parse(result.stdout.trim()) as typeof printed;
    } catch {
      fail(`the program printed no JSON line: ${JSON.stringify(result.stdout.slice(0, 200))}; stderr: ${result.stderr.slice(0, 300)}`);
    }
    check.equal("the child's exit code", printed.exitCode, 1);
    check.that(
      result.stderr.includes(`Process ${String(printed.name)}:`),
      `stderr does not name the process ('Process ${String(printed.name)}:'): ${result.stderr.slice(0, 300)}`,
    );
    check.that(result.stderr.includes(message), `stderr does not show the error message '${message}': ${result.stderr.slice(0, 300)}`);
  });
});
