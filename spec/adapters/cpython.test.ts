/**
 * The CPython adapter's own guarantees (not rules of the seeds, so they live in the kit project):
 * no Python process outlives the TypeScript side, even when that side is killed abruptly, and a
 * Python traceback reaches a failing spec's message.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import createAdapter from './cpython';
import { DIST } from '../harness/paths';
import { descendants, readProc } from '../harness/proc';

const exists = (pid: number): boolean => readProc(pid) !== null;

async function gone(pids: number[], within: number): Promise<number[]> {
  const deadline = Date.now() + within;
  let left = pids.filter(exists);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(20);
    left = pids.filter(exists);
  }
  return left;
}

describe.each(['fork', 'spawn', 'forkserver'])('cpython adapter (%s)', (startMethod) => {
  it('when the TypeScript side is SIGKILLed, the agent and its children go too', async () => {
    // A separate Node process holds the adapter, starts a long child, prints the pids, and is killed.
    const holder = `
      const create = require(${JSON.stringify(join(DIST, 'spec/adapters/cpython.js'))}).default;
      (async () => {
        const mp = await create({ startMethod: ${JSON.stringify(startMethod)} });
        const p = await mp.Process({ target: 'sleepFor', args: ['holder', 60000] });
        await p.start();
        process.stdout.write(JSON.stringify({ child: await p.pid() }) + '\\n');
      })();`;
    const node = spawn(process.execPath, ['-e', holder], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve) => node.stdout.once('data', (d: Buffer) => resolve(d.toString())));
    const { child } = JSON.parse(line) as { child: number };
    const below = descendants(node.pid!).map((p) => p.pid);
    expect(below).toContain(child);
    const exited = new Promise((resolve) => node.once('exit', resolve));
    node.kill('SIGKILL');
    await exited;
    expect(await gone(below, 10_000)).toEqual([]);
  }, 30_000);
});

describe('cpython adapter errors', () => {
  it('a Python traceback reaches the rejection message', async () => {
    const mp = await createAdapter({});
    try {
      // A fixture failing inside Python: an op the isolation fixture does not know.
      const failure = mp.callInParent('applyToGlobal', [[{ op: 'bogus' }]]);
      await expect(failure).rejects.toThrow(/Traceback[\s\S]*ValueError: unknown list op 'bogus'/);
    } finally {
      await mp.close();
    }
  }, 20_000);
});
