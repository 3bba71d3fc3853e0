/** Tests of the harness itself (test262 keeps harness tests too): each check must be able to fail, and must not misfire. */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { runInNewContext } from 'node:vm';
import type { ProcessHandle } from '../adapter';
import { check, firstDifference, isError, RuleViolation } from './checks';
import { monotonicNow } from './clock';
import { within } from './deadline';
import { stopWatching, watchExit } from './exit-watch';
import { parseExpectations } from './expectations';
import { Ledger } from './ledger';
import { endLeftovers } from './leaks';
import { freePort } from './ports';
import { descendants, hasEnded, identify, readProc, selfAndAncestors } from './proc';

/** A Python parent that forks a child which exits at once and is never reaped: a zombie for `seconds`. */
async function makeZombie(seconds: number): Promise<{ parent: number; zombie: number }> {
  const code = `import os,sys,time\npid=os.fork()\nif pid==0: os._exit(0)\nprint(pid,flush=True)\ntime.sleep(${seconds})`;
  const parent = spawn('python3', ['-c', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const zombie = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString()))));
  for (let i = 0; i < 100 && readProc(zombie)?.state !== 'Z'; i++) await sleep(10);
  return { parent: parent.pid!, zombie };
}

const sleeper = (seconds: number) => spawn('sleep', [String(seconds)], { stdio: 'ignore' });
/** A handle stand-in whose join() resolves when the OS process exits (as an implementation's would). */
const handleFor = (child: ReturnType<typeof sleeper>): ProcessHandle =>
  ({
    join: () =>
      new Promise<void>((resolve) =>
        child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()),
      ),
  }) as ProcessHandle;

// The ledger watches every process it records; a test that records one that never ends closes its watch here.
afterEach(() => stopWatching());

describe('harness: /proc reads', () => {
  it('reads this process, with its start time, and sees a zombie as ended although it still exists', async () => {
    const me = readProc(process.pid);
    expect([me?.pid, me?.ppid]).toEqual([process.pid, process.ppid]);
    expect(identify(process.pid)?.startTime).toBeGreaterThan(0);
    const { parent, zombie } = await makeZombie(0.5);
    const id = identify(zombie)!;
    expect(readProc(zombie)?.state).toBe('Z');
    expect(hasEnded(id)).toBe(true);
    expect(descendants(process.pid).map((p) => p.pid)).toEqual(expect.arrayContaining([parent, zombie]));
    for (let i = 0; i < 300 && readProc(parent) !== null; i++) await sleep(10);
    expect(readProc(parent)).toBeNull();
  }, 10_000);

  it('a pid whose start time differs is another process: the one the kit knew has ended', () => {
    const me = identify(process.pid)!;
    expect(hasEnded({ pid: me.pid, startTime: me.startTime + 1 })).toBe(true);
    expect(hasEnded(me)).toBe(false);
  });

  it('the protected chain runs from this process up to init', () => {
    const chain = selfAndAncestors(process.pid);
    expect(chain[0]).toBe(process.pid);
    expect(chain).toContain(process.ppid);
  });
});

describe('harness: exit watch', () => {
  it("stamps a child's real exit within a few ms of Node's own exit event", async () => {
    const child = sleeper(0.05);
    const id = identify(child.pid!)!;
    const byNode = new Promise<number>((resolve) => child.once('exit', () => resolve(monotonicNow())));
    const [watched, nodeSaw] = await Promise.all([watchExit(id), byNode]);
    expect(Math.abs(nodeSaw - watched)).toBeLessThan(20);
  }, 10_000);
});

describe('harness: ledger', () => {
  it('watches a recorded process from the moment it is recorded: an exit asked for later is the exit, not the asking', async () => {
    const child = sleeper(0.05);
    const recordedAt = monotonicNow();
    const entry = new Ledger().addStarted(child.pid!, 'sleeper', handleFor(child), recordedAt, recordedAt);
    await new Promise((resolve) => child.once('exit', resolve));
    await sleep(300);
    const exitedAt = await entry.exited();
    expect(exitedAt - recordedAt).toBeLessThan(250); // the 50 ms sleep and its exit, far from the 300 ms wait
  }, 10_000);
});

describe('harness: leak check and cleanup', () => {
  it('reports a process a test left running, by what it ran, and kills it', async () => {
    const child = sleeper(30);
    const ledger = new Ledger();
    const now = monotonicNow();
    ledger.addStarted(child.pid!, 'sleeper', handleFor(child), now, now);
    const report = await endLeftovers(ledger);
    expect(report).toMatch(/^sleeper \(pid \d+\): pid \d+ \(sleep, state [RS]/);
    expect(readProc(child.pid!)).toBeNull();
  }, 10_000);

  it('ends a process left on purpose without reporting it', async () => {
    const child = sleeper(30);
    const ledger = new Ledger();
    ledger.addStarted(child.pid!, 'sleeper', handleFor(child), 0, 0);
    ledger.leaveRunning(child.pid!, 'an orphan rule');
    expect(await endLeftovers(ledger)).toBeNull();
    expect(readProc(child.pid!)).toBeNull();
  }, 10_000);

  it('never signals a protected process, even when a test claims to have started it', async () => {
    const ledger = new Ledger();
    const entry = ledger.addStarted(process.pid, 'this very process', {} as ProcessHandle, 0, 0);
    // Not followed at all (no identity: the problem is named instead), so neither signalled nor
    // reported as a leak; this test is still alive to see it.
    expect(entry.id).toBeNull();
    expect(entry.problem).toMatch(/the child's pid is the parent's own/);
    expect(await endLeftovers(ledger)).toBeNull();
    await expect(entry.exited()).rejects.toThrow(/the child's exit cannot be observed: the child's pid is the parent's own/);
  }, 10_000);

  it('never signals a stranger that took over a pid: identity is pid and start time', async () => {
    const child = sleeper(30);
    const ledger = new Ledger();
    ledger.addObserved({ pid: child.pid!, startTime: identify(child.pid!)!.startTime - 1 }, 'a stranger');
    expect(await endLeftovers(ledger)).toBeNull();
    expect(readProc(child.pid!)?.state).not.toBe('Z');
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  }, 10_000);

  it('passes when nothing is left', async () => {
    expect(await endLeftovers(new Ledger())).toBeNull();
  });
});

describe('harness: checks say what failed', () => {
  it('equality is exact: -0 is not 0, an extra key or element is a difference, and the path is named', () => {
    expect(firstDifference({ a: [1, -0] }, { a: [1, 0] })).toBe('["a"][1]: expected 0, got -0');
    expect(firstDifference({ a: 1, extra: 2 }, { a: 1 })).toMatch(/unexpected key\(s\) \[ 'extra' \]/);
    expect(firstDifference([1, 2, 3], [1, 2])).toMatch(/expected 2 element\(s\), got 3/);
    expect(firstDifference({ ['__proto__']: 1 }, {})).toMatch(/unexpected key/);
    expect(firstDifference({ k: 'x' }, { k: 'x' })).toBeNull();
  });

  it('a failed check is a one-line RuleViolation naming the quantity', () => {
    expect(() => check.equal('exit code', -9, -15)).toThrow(new RuleViolation('exit code: expected -15, got -9'));
    expect(() => check.atMost('join() lateness', 40, 20, 'from the yardstick')).toThrow(
      /^join\(\) lateness: 40\.0 ms, more than the bound of 20\.0 ms \(from the yardstick\)$/,
    );
  });

  it('within() names what did not happen', async () => {
    await expect(within(new Promise(() => undefined), 10, 'the exit after terminate()')).rejects.toThrow(
      'the exit after terminate() did not happen within 10 ms',
    );
  });
});

describe('harness: expectations files', () => {
  const entry = { reason: 'deviation: x', failure: 'exit code: expected 1, got -2' };
  it('parses a well-formed file', () => {
    expect(parseExpectations(JSON.stringify({ 'P9 › SIGINT': entry }), 'f.json').get('P9 › SIGINT')).toEqual(entry);
  });
  it.each([
    ['not JSON', '{', /is not JSON/],
    ['not an object', '[]', /one JSON object/],
    ['a bad key', JSON.stringify({ SIGINT: entry }), /key must be/],
    ['a missing field', JSON.stringify({ 'P9 › x': { reason: 'r' } }), /exactly the keys reason and failure/],
    ['an extra field', JSON.stringify({ 'P9 › x': { ...entry, note: 1 } }), /exactly the keys/],
    ['an empty failure', JSON.stringify({ 'P9 › x': { reason: 'r', failure: ' ' } }), /must not be empty/],
  ])('refuses %s, naming the file', (_what, text, message) => {
    expect(() => parseExpectations(text, 'ours.json')).toThrow(message);
    expect(() => parseExpectations(text, 'ours.json')).toThrow(/ours\.json/);
  });
});

describe('harness: free ports (a listen on port 0, released)', () => {
  it('gives a port that can be bound on loopback', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    expect((server.address() as { port: number }).port).toBe(port);
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('harness: errors of any realm', () => {
  it("an Error made in another realm (Node's own, under Jest) is an Error; a look-alike is not", () => {
    const Outer = runInNewContext('Error') as ErrorConstructor;
    expect(new Outer('x') instanceof Error).toBe(false);
    expect(isError(new Outer('x'))).toBe(true);
    expect(isError(new RuleViolation('x'))).toBe(true);
    expect(isError({ name: 'Error', message: 'x', stack: 'Error: x' })).toBe(false);
  });
});
