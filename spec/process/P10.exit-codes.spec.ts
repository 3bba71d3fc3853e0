import fc from 'fast-check';
import { describeRule } from '../harness/describe-rule';

describeRule('P10', (kit) => {
  const exitCodeOf = async (target: string, args: string[] | number[] = []): Promise<number | null> => {
    const p = await kit.mp.Process({ target, args });
    await p.start();
    await p.join();
    return p.exitCode();
  };

  it('a task that returns gives 0', async () => {
    expect(await exitCodeOf('noop')).toBe(0);
  }, 20_000);

  it('an explicit exit(n) gives n (property, 4 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 125 }), async (n) => {
        expect(await exitCodeOf('exitWith', [n])).toBe(n);
      }),
      { numRuns: 4, examples: [[3]] },
    );
  }, 60_000);

  it('an uncaught error gives 1', async () => {
    expect(await exitCodeOf('raiseError', ['boom'])).toBe(1);
  }, 20_000);

  it("an uncaught error prints the process's name and the error to stderr (whole program)", async () => {
    const message = `kaput-${Date.now()}`;
    const result = await kit.runProgram('childRaises', [message]);
    expect(result.exitCode).toBe(0);
    const { exitCode, name } = JSON.parse(result.stdout.trim()) as { exitCode: number; name: string };
    expect(exitCode).toBe(1);
    expect(result.stderr).toContain(`Process ${name}:`);
    expect(result.stderr).toContain(message);
  }, 30_000);
});
