import { describeRule } from '../harness/describe-rule';

const counterOf = (name: string): number => {
  const match = /^Process-(\d+)$/.exec(name);
  if (!match) throw new Error(`default name '${name}' is not Process-N`);
  return Number(match[1]);
};

describeRule('P4', (kit) => {
  it("children have their own pids, the parent's pid as ppid, and see their own pid and name", async () => {
    const parent = await kit.mp.currentProcess();
    // Under a fork server the OS parent is the server; the library's parent process is still the creator.
    const byServer = kit.mp.capabilities.has('forked-by-server');
    const children = [
      await kit.mp.Process({ target: 'reportIdentity', args: ['a'] }),
      await kit.mp.Process({ target: 'reportIdentity', args: ['b'], name: 'given name' }),
      await kit.mp.Process({ target: 'reportIdentity', args: ['c'] }),
    ];
    for (const p of children) await p.start();
    const pids = await Promise.all(children.map((p) => p.pid()));
    for (const p of children) await p.join();

    expect(new Set(pids).size).toBe(3);
    expect(pids).not.toContain(parent.pid);
    const seen = await kit.observations.waitFor('identity', 3);
    for (const [i, tag] of ['a', 'b', 'c'].entries()) {
      const record = seen.find((o) => o.tag === tag);
      expect(record).toMatchObject({ pid: pids[i], currentPid: pids[i], parentPid: parent.pid, name: await children[i]!.name() });
      if (byServer) expect(record!.ppid).not.toBe(parent.pid);
      else expect(record!.ppid).toBe(parent.pid);
    }
  }, 30_000);

  it('default names are Process-N counting up (a named process uses a number too); a given name is kept', async () => {
    const first = await kit.mp.Process({ target: 'noop' });
    const named = await kit.mp.Process({ target: 'noop', name: 'meet' });
    const third = await kit.mp.Process({ target: 'noop' });
    const n = counterOf(await first.name());
    expect(await named.name()).toBe('meet');
    expect(counterOf(await third.name())).toBe(n + 2);
    await named.start();
    await named.join();
    expect(await named.name()).toBe('meet');
  }, 20_000);

  it("the parent's own current process is the main process", async () => {
    expect((await kit.mp.currentProcess()).name).toBe('MainProcess');
  });
});
