/** Tests of the harness itself (test262 keeps harness tests too): the leak detector must see leaks. */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkTestLeaks } from './leaks';
import { freePort } from './ports';
import { descendants, exists, isZombie, readProc } from './proc';

/** A Python parent that forks a child which exits at once and is never reaped: a zombie for `seconds`. */
async function makeZombie(seconds: number): Promise<{ parent: number; zombie: number }> {
  const code = `import os,sys,time\npid=os.fork()\nif pid==0: os._exit(0)\nprint(pid,flush=True)\ntime.sleep(${seconds})`;
  const parent = spawn('python3', ['-c', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const zombie = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString()))));
  for (let i = 0; i < 100 && !isZombie(zombie); i++) await sleep(10);
  return { parent: parent.pid!, zombie };
}

describe('harness: /proc reads', () => {
  it('reads this process and sees a zombie as a zombie although it still exists', async () => {
    expect(readProc(process.pid)).toMatchObject({ pid: process.pid, ppid: process.ppid });
    const { parent, zombie } = await makeZombie(0.5);
    expect(isZombie(zombie)).toBe(true);
    expect(exists(zombie)).toBe(true);
    expect(descendants(process.pid).map((p) => p.pid)).toEqual(expect.arrayContaining([parent, zombie]));
    for (let i = 0; i < 300 && exists(parent); i++) await sleep(10);
    expect(exists(parent)).toBe(false);
  }, 10_000);
});

describe('harness: leak check', () => {
  it('fails on a process a test left running, and kills it', async () => {
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pid = sleeper.pid!;
    const exited = new Promise((resolve) => sleeper.once('exit', resolve));
    await expect(checkTestLeaks([], [{ event: 'started', pid, ppid: process.pid, t: 0 }])).rejects.toThrow(/leak.*sleep/);
    await exited;
    expect(exists(pid)).toBe(false);
  }, 10_000);

  it('passes when nothing is left', async () => {
    await expect(checkTestLeaks([], [])).resolves.toBeUndefined();
  });
});

describe('harness: free ports (get-port, ESM-only, transformed for Jest)', () => {
  it('gives a port that can be bound on loopback', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    expect(server.address()).toMatchObject({ port });
    await new Promise((resolve) => server.close(resolve));
  });
});
