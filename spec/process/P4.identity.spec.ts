import { check, fail } from '../harness/checks';
import { describeRule } from '../harness/describe-rule';
import { readProc } from '../harness/proc';

const counterOf = (what: string, name: unknown, className = 'Process'): number => {
  const match = typeof name === 'string' ? new RegExp(`^${className}-(\\d+)$`).exec(name) : null;
  if (!match) fail(`${what}: expected ${className}-N, got ${JSON.stringify(name)}`);
  return Number(match[1]);
};

describeRule('P4', (kit) => {
  kit.test("children have their own pids, the parent's pid as ppid, and see their own pid and name", async () => {
    const parent = await kit.mp.currentProcess();
    const children = [];
    for (const [tag, name] of [['a'], ['b', 'given name'], ['c']] as const) {
      children.push({ tag, handle: await kit.mp.Process({ target: 'reportIdentity', args: [tag], ...(name ? { name } : {}) }) });
    }
    for (const c of children) await c.handle.start();
    const pids = await Promise.all(children.map((c) => c.handle.pid()));
    for (const c of children) await c.handle.join();

    check.equal('number of distinct child pids', new Set(pids).size, 3);
    check.that(!pids.includes(parent.pid), `a child has the parent's own pid ${parent.pid}`);
    const seen = await kit.observations.waitFor('identity', { count: 3 });
    const osParents = new Set<number>();
    for (const [i, c] of children.entries()) {
      const record = seen.find((o) => o.tok === kit.mp.tokenOf(c.handle))!;
      const { pid, currentPid, name } = record;
      check.equal(
        `identity seen by child ${c.tag}`,
        { pid, currentPid, name },
        { pid: pids[i], currentPid: pids[i], name: await c.handle.name() },
      );
      osParents.add(record.ppid);
    }
    // Under a fork server the OS parent is the server, while the library's parent is still the
    // creator. The capability is verified, not trusted: one live server, neither the creator nor init.
    if (kit.mp.capabilities.has('forked-by-server')) {
      const [server] = [...osParents];
      check.that(
        osParents.size === 1,
        `'forked-by-server' is declared, but the children have several OS parents: ${[...osParents].join(', ')}`,
      );
      check.that(server !== parent.pid, "'forked-by-server' is declared, but the children's OS parent is the creator itself");
      check.that(
        server !== 1 && readProc(server!) !== null,
        `'forked-by-server' is declared, but the children's OS parent ${server} is not a live server`,
      );
    } else {
      check.equal("the children's OS parent pids", [...osParents], [parent.pid]);
    }
  });

  kit.test(
    'default names are Process-N counting up, a subclass counts on the same counter under its own class name, and given names are kept',
    async () => {
      const first = await kit.mp.Process({ target: 'noop' });
      const named = await kit.mp.Process({ target: 'noop', name: 'meet' });
      const subclass = await kit.mp.Process({ subclass: 'ReportingProcess', args: ['x'] });
      const self = await kit.mp.Process({ subclass: 'NamedProcess' });
      const last = await kit.mp.Process({ target: 'noop' });
      const n = counterOf('default name', await first.name());
      check.equal('given name', await named.name(), 'meet');
      check.equal(
        'default name of a subclass instance',
        counterOf('default name of a subclass instance', await subclass.name(), 'ReportingProcess'),
        n + 2,
      );
      check.equal('name a subclass sets itself', await self.name(), 'chosen by its class');
      check.equal('default name after four more processes', counterOf('default name', await last.name()), n + 4);
      await named.start();
      await named.join();
      check.equal('given name after the run', await named.name(), 'meet');
    },
  );

  kit.test(
    "inside the child, the library's parent process is the creator, also under a fork server (parentProcess(), Python 3.8+)",
    async () => {
      const parent = await kit.mp.currentProcess();
      const child = await kit.start({ target: 'reportParent' });
      await child.handle.join();
      const code = await child.handle.exitCode();
      check.that(
        code === 0,
        `the child could not report its parent (exit code ${String(code)}): the implementation's parentProcess() is missing or failed; its stderr says which`,
      );
      check.equal(
        "the parent pid the child's library reports",
        kit.observations.of('parent', child.token).map((o) => o.parentPid),
        [parent.pid],
      );
    },
  );

  kit.test("the parent's own current process is the main process", async () => {
    check.equal("the parent's current process name", (await kit.mp.currentProcess()).name, 'MainProcess');
  });

  kit.test(
    'in a fresh program: MainProcess, then Process-1, ReportingProcess-2, and the children see those names (whole program)',
    async () => {
      const result = await kit.runProgram('reportNames');
      check.equal('exit code of the program', result.exitCode, 0);
      let printed: unknown;
      try {
        printed = JSON.parse(result.stdout.trim());
      } catch {
        fail(`the program printed no JSON line: ${JSON.stringify(result.stdout.slice(0, 200))}; stderr: ${result.stderr.slice(0, 300)}`);
      }
      check.equal('names in a fresh program', printed, {
        main: 'MainProcess',
        names: ['Process-1', 'ReportingProcess-2', 'chosen by its class'],
      });
      const identity = kit.observations.of('identity').map((o) => o.name);
      const runs = kit.observations.of('run').map((o) => o.name);
      check.equal('names the children saw', { identity, runs }, { identity: ['Process-1'], runs: ['ReportingProcess-2'] });
    },
  );
});
