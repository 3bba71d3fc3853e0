/**
 * Deliberately wrong adapters: ours with one behaviour broken, to show that specs can fail, and
 * fail naming the real fault. Pick one with `KIT_ADAPTERS=broken:<breakage>`; `npm run prove` runs
 * every breakage against the rules that must catch it (scripts/prove-specs-fail.ts). The breakage
 * name travels in the `startMethod` option, the contract's slot for an implementation's variants.
 *
 * Each entry is a plausible bug, not a caricature: several passed every spec before the spec
 * strength work (issue 7), which is why they are here.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  UNSENDABLE,
  type Adapter,
  type Arg,
  type Capability,
  type CreateAdapter,
  type ConnectionHandle,
  type Json,
  type LockHandle,
  type ProcessHandle,
  type QueueHandle,
  type ProcessOptions,
  type SharedHandle,
} from '../adapter';
import { DIST } from '../harness/paths';
import { SERVER_BREAKAGES } from '../server/broken-servers';
import ours from './ours';

/**
 * A deliberately wrong implementation: `catches` maps each rule that must fail on it to a pattern
 * a failure message of that rule must match, so that a rule failing for some other reason (a crash,
 * a leak) does not count as catching the fault.
 */
export interface Breakage {
  catches: Record<string, RegExp>;
  description: string;
  wrap: (adapter: Adapter) => Adapter;
}

type HandleChange = (handle: ProcessHandle, options: ProcessOptions) => Partial<ProcessHandle>;

const mapHandles = (adapter: Adapter, change: HandleChange): Adapter => ({
  ...adapter,
  Process: async (options) => {
    const handle = await adapter.Process(options);
    return { ...handle, ...change(handle, options) };
  },
});

const isHandle = <K extends SharedHandle['kind']>(arg: unknown, kind: K): arg is Extract<SharedHandle, { kind: K }> =>
  typeof arg === 'object' && arg !== null && (arg as { kind?: unknown }).kind === kind;

/** Every Process gets `swap(arg)` in place of each of its args. */
const swapArgs = (adapter: Adapter, swap: (arg: Arg) => Promise<Arg>): Adapter => ({
  ...adapter,
  Process: async (options) =>
    adapter.Process({ ...options, ...(Array.isArray(options.args) ? { args: await Promise.all(options.args.map(swap)) } : {}) }),
});

// A changed handle stands for the adapter's own among args: the adapter knows only its own.
const originals = new WeakMap<object, SharedHandle>();
const keepIdentity = <H extends SharedHandle>(original: H, changed: H): H => {
  originals.set(changed, original);
  return changed;
};
const unwrapArgs = (adapter: Adapter): Adapter =>
  swapArgs(adapter, async (arg) => (typeof arg === 'object' && arg !== null && originals.has(arg) ? originals.get(arg)! : arg));

/** Every Queue and JoinableQueue handle the parent uses gets `change` over it. */
const mapQueues = (adapter: Adapter, change: (queue: QueueHandle) => Partial<QueueHandle>): Adapter => {
  const wrap = (queue: QueueHandle): QueueHandle => keepIdentity(queue, { ...queue, ...bound(queue), ...change(queue) });
  return {
    ...unwrapArgs(adapter),
    Queue: async (maxsize) => wrap(await adapter.Queue!(maxsize)),
    JoinableQueue: async (maxsize) => wrap(await adapter.JoinableQueue!(maxsize)),
  };
};

/** A handle's methods as own properties bound to it, so a spread copy keeps working. */
const bound = <H extends object>(handle: H): H =>
  Object.fromEntries(
    Object.entries(handle).map(([key, value]) => [
      key,
      typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(handle) : value,
    ]),
  ) as H;

/** Every Lock and RLock handle the parent uses gets `change` over it. */
const mapLocks = (adapter: Adapter, change: (lock: LockHandle) => Partial<LockHandle>): Adapter => {
  const wrap = (lock: LockHandle): LockHandle => {
    const changed = { ...lock, ...change(lock) };
    // The wrapper stands for the adapter's own handle among args.
    originalOf.set(changed, lock);
    return changed;
  };
  const originalOf = new WeakMap<object, LockHandle>();
  return {
    ...swapArgs(adapter, async (arg) => (typeof arg === 'object' && arg !== null && originalOf.has(arg) ? originalOf.get(arg)! : arg)),
    Lock: async () => wrap(await adapter.Lock!()),
    RLock: async () => wrap(await adapter.RLock!()),
  };
};

const withCapabilities = (adapter: Adapter, flags: Capability[]): Adapter => ({ ...adapter, capabilities: new Set(flags) });

const codedError = (code: string, message: string): Error => Object.assign(new Error(message), { code });

/** Every handle started through the adapter, for breakages that act across processes. */
function startedHandles(adapter: Adapter, change: (handle: ProcessHandle, all: Set<ProcessHandle>) => Partial<ProcessHandle>): Adapter {
  const all = new Set<ProcessHandle>();
  return mapHandles(adapter, (h) => {
    const changed = change(h, all);
    return {
      ...changed,
      start: async () => {
        await (changed.start ?? h.start)();
        all.add(h);
      },
    };
  });
}

/** Handles that know whether they were closed, for breakages of what a closed process does. */
const afterClose = (adapter: Adapter, change: (handle: ProcessHandle, closed: () => boolean) => Partial<ProcessHandle>): Adapter =>
  mapHandles(adapter, (h) => {
    let closed = false;
    return {
      ...change(h, () => closed),
      close: async () => {
        await h.close();
        closed = true;
      },
    };
  });

const hasUnsendable = (options: ProcessOptions): boolean =>
  options.target === UNSENDABLE || (options.args ?? []).includes(UNSENDABLE) || Object.values(options.kwargs ?? {}).includes(UNSENDABLE);
const withoutUnsendable = (options: ProcessOptions): ProcessOptions => ({
  ...options,
  target: options.target === UNSENDABLE ? 'noop' : options.target,
  args: (options.args ?? []).map((a): Arg => (a === UNSENDABLE ? null : a)),
  ...(options.kwargs
    ? { kwargs: Object.fromEntries(Object.entries(options.kwargs).map(([k, v]) => [k, v === UNSENDABLE ? null : v])) }
    : {}),
});
const KNOWN_OPTIONS = new Set(['target', 'subclass', 'args', 'kwargs', 'name', 'daemon']);

/** Which rule ids must fail for each breakage, and how their failure must read. */
export const BREAKAGES: Record<string, Breakage> = {
  'start-waits-for-exit': {
    catches: { P1: /start\(\) returning did not happen within/, P7: /start\(\) of child 1 of \d .*did not happen within/ },
    description: 'start() returns only when the child has ended',
    wrap: (a) => mapHandles(a, (h) => ({ start: async () => (await h.start(), await h.join()) })),
  },
  'start-returns-late': {
    catches: { P1: /(duration of start\(\)|delay of start\(\)'s return after the child's first record): [\d.]+ ms, more than the bound/ },
    description: 'start() returns 300 ms after the child is running',
    wrap: (a) => mapHandles(a, (h) => ({ start: async () => (await h.start(), await sleep(300)) })),
  },
  'join-returns-early': {
    catches: { P6: /join\(\) returned while pid \d+ was still running|pid \d+ still running \d+ ms after join\(\) returned/ },
    description: 'join() resolves at once',
    wrap: (a) => mapHandles(a, () => ({ join: async () => undefined })),
  },
  'join-polls-slowly': {
    catches: { P6: /join\(\) returned later than [\d.]+ ms after the child's exit in [2-6] of 6 samples/ },
    description: 'join() notices an exit only on a 100 ms poll of isAlive()',
    wrap: (a) =>
      mapHandles(a, (h) => ({
        join: async (options) => {
          const begin = Date.now();
          while (await h.isAlive()) {
            if (options?.timeout !== undefined && Date.now() - begin >= options.timeout) return;
            await sleep(100);
          }
          await h.join();
        },
      })),
  },
  'join-waits-for-all': {
    catches: { P7: /lateness of join\(\) of child \d after its own child's exit .*: [\d.]+ ms, more than the bound/ },
    description: 'join() waits for every child the adapter started, not only its own',
    wrap: (a) =>
      startedHandles(a, (h, all) => ({
        join: async (options) => {
          if (options?.timeout !== undefined) return h.join(options);
          await Promise.all([...all].map((other) => other.join().catch(() => undefined)));
          await h.join();
        },
      })),
  },
  'pool-of-two': {
    catches: { P7: /start\(\) of child 3 of \d \(2 running, none ended\) did not happen within/ },
    description: 'at most two children run at once: a third start() waits until one of them has ended',
    wrap: (a) => {
      let running = 0;
      const waiting: (() => void)[] = [];
      return mapHandles(a, (h) => ({
        start: async () => {
          while (running >= 2) await new Promise<void>((resolve) => waiting.push(resolve));
          running++;
          const free = (): void => {
            running--;
            waiting.shift()?.();
          };
          try {
            await h.start();
          } catch (error) {
            free(); // a refused start (twice, closed) holds no slot
            throw error;
          }
          void h.join().finally(free);
        },
      }));
    },
  },
  'join-ignores-timeout': {
    catches: { P8: /join\(\) of gatedExit \[t\d+\] did not settle within the test's budget/ },
    description: 'join(timeout) waits for the end regardless of the timeout',
    wrap: (a) => mapHandles(a, (h) => ({ join: () => h.join() })),
  },
  'positive-signal-codes': {
    catches: { P9: /exit code after terminate\(\): expected -15, got 15/ },
    description: 'a signal death is reported as a positive exit code',
    wrap: (a) =>
      mapHandles(a, (h) => ({
        exitCode: async () => {
          const code = await h.exitCode();
          return code === null ? null : Math.abs(code);
        },
      })),
  },
  'signal-table-two-entries': {
    catches: { P9: /exit codes by signal: \["SIG[A-Z0-9]+"\]: expected -\d+, got 1/ },
    description: 'signal deaths are named from a table of SIGTERM and SIGKILL only; any other signal gives 1',
    wrap: (a) =>
      mapHandles(a, (h) => ({
        exitCode: async () => {
          const code = await h.exitCode();
          return code !== null && code < 0 && code !== -9 && code !== -15 ? 1 : code;
        },
      })),
  },
  'terminate-does-nothing': {
    catches: { P9: /the child's exit after terminate\(\) did not happen within/ },
    description: 'terminate() sends nothing (the child is left running: the kit must end it)',
    wrap: (a) => mapHandles(a, () => ({ terminate: async () => undefined })),
  },
  'terminate-is-slow': {
    catches: { P9: /time from terminate\(\) to the child's exit: [\d.]+ ms, more than the bound/ },
    description: 'terminate() sends SIGTERM 200 ms late',
    wrap: (a) =>
      mapHandles(a, (h) => ({
        terminate: async () => {
          setTimeout(() => h.terminate().catch(() => undefined), 200);
        },
      })),
  },
  'exit-code-always-zero': {
    catches: { P10: /exit code after (exit\(\d+\)|an uncaught error): expected [1-9]\d*, got 0/ },
    description: 'every ended child reports exit code 0',
    wrap: (a) => mapHandles(a, (h) => ({ exitCode: async () => ((await h.exitCode()) === null ? null : 0) })),
  },
  'exit-codes-mod-128': {
    catches: { P10: /exit code after exit\((1[2-9]\d|2\d\d)\): expected \d+, got \d+/ },
    description: 'exit codes are kept to 7 bits (n & 127)',
    wrap: (a) =>
      mapHandles(a, (h) => ({
        exitCode: async () => {
          const code = await h.exitCode();
          return code !== null && code > 0 ? code & 127 : code;
        },
      })),
  },
  'no-target-fails': {
    catches: { P10: /exit code without a target: expected 0, got 1/ },
    description: 'a process without a target fails (exit code 1) instead of doing nothing',
    wrap: (a) => ({
      ...a,
      Process: (options) =>
        a.Process(
          options.target === undefined && options.subclass === undefined
            ? { ...options, target: 'raiseError', args: ['no target'] }
            : options,
        ),
    }),
  },
  'drops-kwargs': {
    catches: { P2: /what the child received: \["kwargs"\]/ },
    description: 'keyword arguments never reach the child',
    wrap: (a) => ({ ...a, Process: ({ kwargs: _dropped, ...options }) => a.Process(options) }),
  },
  'injects-kwarg': {
    catches: { P2: /what the child received: \["kwargs"\]: unexpected key\(s\) \[ 'injected' \]/ },
    description: 'an extra keyword argument is added to every call',
    wrap: (a) => ({
      ...a,
      Process: (options) =>
        a.Process(options.target === 'recordArguments' ? { ...options, kwargs: { ...options.kwargs, injected: true } } : options),
    }),
  },
  'truncates-args': {
    catches: { P2: /what the child received: \["args"\]: expected [3-5] element\(s\), got 2/ },
    description: 'positional arguments beyond the second are dropped',
    wrap: (a) => ({
      ...a,
      // The kit's token and recordArguments' count come first: keep them and the next two.
      Process: (options) =>
        a.Process(options.target === 'recordArguments' && options.args ? { ...options, args: options.args.slice(0, 4) } : options),
    }),
  },
  'accepts-unknown-options': {
    catches: { P2: /the unknown option age: expected a rejection with code ERR_MP_INVALID_OPTION/ },
    description: 'unknown constructor options are silently dropped',
    wrap: (a) => ({
      ...a,
      Process: (options) =>
        a.Process(Object.fromEntries(Object.entries(options).filter(([k, v]) => KNOWN_OPTIONS.has(k) && v !== undefined))),
    }),
  },
  'starts-then-refuses': {
    catches: {
      P2: /after the unknown option age was refused, (a process was started|a child ran) anyway/,
      P11: /after start\(\) refused the unsendable (argument|target), (a process was started|a child ran) anyway/,
    },
    description: 'a refused unknown option or unsendable argument still starts the process (without it), and activeChildren() hides it',
    wrap: (a) => {
      const hidden = new Set<number>();
      const startAnyway = async (options: ProcessOptions): Promise<void> => {
        const h = await a.Process(options);
        await h.start();
        const pid = await h.pid();
        if (pid !== null) hidden.add(pid);
        void h.join();
      };
      return {
        ...a,
        Process: async (options) => {
          const unknown = Object.keys(options).filter((k) => !KNOWN_OPTIONS.has(k));
          if (unknown.length > 0) {
            await startAnyway(Object.fromEntries(Object.entries(options).filter(([k]) => KNOWN_OPTIONS.has(k))));
            throw codedError('ERR_MP_INVALID_OPTION', `unknown option ${unknown.join(', ')}`);
          }
          const h = await a.Process(options);
          if (!hasUnsendable(options)) return h;
          return {
            ...h,
            start: async () => {
              await startAnyway(withoutUnsendable(options));
              throw codedError('ERR_MP_NOT_SENDABLE', 'unsendableValue cannot be sent');
            },
          };
        },
        activeChildren: async () => (await a.activeChildren()).filter((c) => c.pid === null || !hidden.has(c.pid)),
      };
    },
  },
  'subclass-ignored': {
    catches: { P3: /run\(\) records: expected 1 element\(s\), got 0/ },
    description: 'a subclass is replaced by a plain process running noop',
    wrap: (a) => ({
      ...a,
      Process: ({ subclass, ...options }) =>
        a.Process(subclass ? { ...options, args: (options.args ?? []).slice(0, 1), target: 'noop' } : options),
    }),
  },
  'names-not-counted': {
    catches: { P4: /given name: expected 'meet', got 'Process-1'|identity seen by child a: \["name"\]/ },
    description: 'every process reports the name Process-1',
    wrap: (a) => mapHandles(a, () => ({ name: async () => 'Process-1' })),
  },
  'subclass-default-name': {
    catches: { P4: /default name of a subclass instance: expected ReportingProcess-N, got "Process-\d+"/ },
    description: "a subclass instance's default name is Process-N, not <ClassName>-N",
    wrap: (a) => mapHandles(a, (h) => ({ name: async () => String(await h.name()).replace(/^\w+-(\d+)$/, 'Process-$1') })),
  },
  'names-start-at-two': {
    catches: { P4: /names in a fresh program: \["names"\]\[0\]: expected 'Process-1', got 'Process-2'/ },
    description: 'the process counter is bumped once before the program runs, so the first child is Process-2',
    wrap: (a) => ({
      ...a,
      program: (name, args) => {
        const command = a.program(name, args);
        const [script, ...rest] = command.args;
        const lib = JSON.stringify(`${DIST}/src/index.js`);
        // The script stays argv[1], so the program's own arguments keep their places.
        return { ...command, args: ['-e', `new (require(${lib}).Process)(); require(process.argv[1]);`, script!, ...rest] };
      },
    }),
  },
  'claims-forked-by-server': {
    catches: { P4: /'forked-by-server' is declared, but the children's OS parent is the creator itself/ },
    description: "declares 'forked-by-server', which ours does not do",
    wrap: (a) => withCapabilities(a, [...a.capabilities, 'forked-by-server']),
  },
  'pid-is-parent': {
    catches: { P4: /a child has the parent's own pid|number of distinct child pids/, P6: /the child's pid is the parent's own/ },
    description: "pid() reports the parent's own pid, as a thread-backed implementation would (the kit must not kill itself)",
    wrap: (a) => mapHandles(a, (h) => ({ pid: async () => ((await h.pid()) === null ? null : process.pid) })),
  },
  'pid-changes-after-join': {
    catches: { P6: /pid\(\) changed after join\(\)/ },
    description: 'pid() reports another number once the child has been joined (a pooled worker recycled under the handle)',
    wrap: (a) =>
      mapHandles(a, (h) => {
        let joined = false;
        return {
          join: async (options) => {
            await h.join(options);
            joined ||= options?.timeout === undefined;
          },
          pid: async () => {
            const pid = await h.pid();
            return joined && pid !== null ? pid + 1 : pid;
          },
        };
      }),
  },
  'claims-fork-memory': {
    catches: { P5: /the list the child started with: expected 1 element\(s\), got 0/ },
    description: "declares 'inherits-parent-memory', which ours does not have",
    wrap: (a) => withCapabilities(a, [...a.capabilities, 'inherits-parent-memory']),
  },
  'no-misuse-checks': {
    catches: { P11: /expected a rejection with code ERR_MP_ALREADY_STARTED, but it resolved/ },
    description: 'a second start() and an early join() are silently ignored',
    wrap: (a) =>
      mapHandles(a, (h) => {
        let started = false;
        return {
          start: async () => (started ? undefined : ((started = true), h.start())),
          join: async (options) => (started ? h.join(options) : undefined),
        };
      }),
  },
  'start-twice-reruns': {
    catches: {
      P11: /processes started by the second start\(\): expected 0 element|the task's start records: expected 1 element\(s\), got 2/,
    },
    description: 'a second start() is refused, but only after it has run the task again in a new process',
    wrap: (a) =>
      mapHandles(a, (h, options) => {
        let started = false;
        return {
          start: async () => {
            if (!started) {
              started = true;
              return h.start();
            }
            const again = await a.Process(options);
            await again.start();
            void again.join();
            return h.start(); // refused, as it should be
          },
        };
      }),
  },
  'kill-after-close-allowed': {
    catches: { P11: /kill\(\) on a closed process: expected a rejection with code ERR_MP_CLOSED/ },
    description: 'kill() on a closed process is silently accepted',
    wrap: (a) => afterClose(a, (h, closed) => ({ kill: async () => (closed() ? undefined : h.kill()) })),
  },
  'close-while-running-allowed': {
    catches: {
      P11: /expected a rejection with code ERR_MP_STILL_RUNNING, but it resolved/,
      P12: /close\([AB]\): the model of CPython expects it to/,
    },
    description: 'close() of a running process is accepted (and does nothing)',
    wrap: (a) =>
      mapHandles(a, (h) => ({
        close: async () => {
          if (!(await h.isAlive())) await h.close();
        },
      })),
  },
  'daemon-refused-after-close': {
    catches: {
      P12: /setDaemon\[(true|false)\]\([AB]\): the model of CPython expects it to give undefined, but it rejected with ERR_MP_CLOSED/,
    },
    description: 'setting daemon on a closed process is refused (CPython allows it: close() resets _popen)',
    wrap: (a) =>
      afterClose(a, (h, closed) => ({
        setDaemon: async (value) => {
          if (closed()) throw codedError('ERR_MP_CLOSED', 'process object is closed');
          return h.setDaemon(value);
        },
      })),
  },
  'active-children-keeps-ended': {
    catches: { P12: /activeChildren\(\): pid \d+ has ended \((ended|closed)\) but is listed/ },
    description: 'activeChildren() lists every child ever started',
    wrap: (a) => {
      const started: { pid: number; name: string }[] = [];
      return {
        ...mapHandles(a, (h) => ({
          start: async () => {
            await h.start();
            started.push({ pid: (await h.pid())!, name: await h.name() });
          },
        })),
        activeChildren: async () => [...started],
      };
    },
  },
  'lock-per-child': {
    catches: {
      L1: /entered [\d.]+ ms before .* left/,
      L2: /counts the \d+ buyers read .*: expected/,
      L6: /entered [\d.]+ ms before .* left/,
      L7: /given the parent's one Lock: .* entered [\d.]+ ms before/,
    },
    description: 'each child gets a Lock of its own instead of the one passed (a lock that is copied, not shared)',
    wrap: (a) => swapArgs(a, async (arg) => (isHandle(arg, 'Lock') ? a.Lock!() : arg)),
  },
  'acquire-ignores-timeout': {
    catches: { L3: /duration of acquire\(\{ timeout: \d+ \}\): .* must wait the whole timeout/ },
    description: 'acquire with a timeout on a held lock gives up at once instead of waiting',
    wrap: (a) => mapLocks(a, (l) => ({ acquire: (o) => l.acquire(o?.timeout !== undefined ? { block: false } : o) })),
  },
  'release-unheld-allowed': {
    catches: { L4: /expected a rejection with code ERR_MP_NOT_HELD, but it resolved/ },
    description: 'releasing a Lock that nobody holds succeeds silently',
    wrap: (a) =>
      mapLocks(a, (l) => ({
        release: () =>
          l.release().catch((e: unknown) => ((e as { code?: unknown }).code === 'ERR_MP_NOT_HELD' ? undefined : Promise.reject(e))),
      })),
  },
  'rlock-is-lock': {
    catches: { L4: /acquire\(\{ block: false \}\) number 2 by the holder: expected true, got false/ },
    description: 'RLock() makes a plain, non-re-entrant Lock',
    wrap: (a) => ({ ...a, RLock: async () => ({ ...(await a.Lock!()), kind: 'RLock' as const }) }),
  },
  'dead-holder-released': {
    catches: { L5: /acquire\(\{ timeout: \d+ \}\) in the parent after the holder died: expected false, got true/ },
    description: 'a lock held by a process that was killed or terminated is released when it dies',
    wrap: (a) => {
      const held = new WeakMap<ProcessHandle, LockHandle[]>();
      const freeing = (h: ProcessHandle, end: () => Promise<void>) => async () => {
        await end();
        await h.join();
        for (const lock of held.get(h) ?? []) await lock.release().catch(() => undefined);
      };
      const tracking: Adapter = {
        ...a,
        Process: async (options) => {
          const h = await a.Process(options);
          held.set(
            h,
            (options.args ?? []).filter((arg): arg is LockHandle => isHandle(arg, 'Lock') || isHandle(arg, 'RLock')),
          );
          return { ...h, kill: freeing(h, () => h.kill()), terminate: freeing(h, () => h.terminate()) };
        },
      };
      return tracking;
    },
  },
  'value-copied': {
    catches: { SH1: /final value after 4 x 2000 locked increments: expected 8000, got 0/ },
    description: 'each child gets a copy of a Value instead of the shared one',
    wrap: (a) => swapArgs(a, async (arg) => (isHandle(arg, 'Value') ? a.Value!('i', await arg.get()) : arg)),
  },
  'objects-die-with-creator': {
    catches: { L8: /no 3 'leave' observation\(s\)/, Q10: /no 1 'consumed' observation\(s\) about t\d+\.2/ },
    description: 'a Lock stops working in a process whose parent has died, as if served by a broker in the process that made it',
    wrap: (a) => {
      // The children load this runtime as the implementation (fixtures/ts/implementation.ts).
      process.env.KIT_NODE_RUNTIME = `${DIST}/fixtures/ts/broken-runtimes/creator-bound.js`;
      return a;
    },
  },
  'no-exit-handling': exitBreakage(
    'none',
    'nothing happens at the end of the main code: daemons keep running, non-daemon children are not waited for',
    {
      D2: /the daemon, after the main code's end .* was still running/,
      D3: /the daemon, after the main code's end .* was still running/,
      D4: /the daemon, after the main code's end .* was still running/,
      D7: /the daemon, after its creator's code ended .* was still running/,
    },
  ),
  'daemons-killed': exitBreakage('kill', 'daemons are SIGKILLed at exit instead of terminated', {
    D2: /exit codes the main program's exit hook saw .*\["daemon"\]: expected -15, got -9/,
    D3: /exit codes the main program's exit hook saw .*\["daemon"\]: expected -15, got -9/,
    D4: /exit codes the main program's exit hook saw .*\["daemon"\]: expected -15, got -9/,
  }),
  'joins-before-terminating': exitBreakage('join-first', 'at exit, non-daemon children are joined before daemons are terminated', {
    D3: /the daemon, after the main code's end .* was still running/,
  }),
  'children-skip-exit-handling': exitBreakage('main-only', 'a child does no exit handling of its own: its daemons outlive its code', {
    D7: /the daemon, after its creator's code ended .* was still running/,
  }),
  'exit-without-waiting': exitBreakage(
    'exit-no-wait',
    'after process.exit() or an uncaught error the daemons are terminated, but the other children are not waited for',
    { D3: /the program ended before its non-daemon child did/ },
  ),
  'daemon-forks': exitBreakage('daemon-forks', 'a daemon may start children', {
    D5: /the daemon started a child/,
  }),
  'daemon-flag-dropped': {
    catches: { D1: /the child's own answer .*expected true, got false/ },
    description: 'the daemon flag stays in the parent: the child always says it is not a daemon',
    wrap: (a) => ({
      ...a,
      Process: async ({ daemon, ...options }) => {
        const h = await a.Process(options);
        let flag = daemon ?? false;
        return { ...h, daemon: async () => flag, setDaemon: async (value) => void (flag = value) };
      },
    }),
  },
  'children-die-with-parent': orphanBreakage(
    'die-with-parent',
    'a child is killed as soon as its parent dies, as with a parent-death signal',
    {
      Z2: /did not go on after its parent's death: it ended/,
      Z3: /did not go on after its parent's death: it ended/,
      D6: /did not go on after its parent's death: it ended/,
    },
  ),
  'parent-always-alive': orphanBreakage('parent-always-alive', "parentProcess().isAlive() stays true after the parent's death", {
    Z2: /parentProcess\(\)\.isAlive\(\) in the orphan's ticks .*expected false, got true/,
    Z3: /parentProcess\(\)\.isAlive\(\) in the orphan's ticks .*expected false, got true/,
    D6: /parentProcess\(\)\.isAlive\(\) in the orphan's ticks .*expected false, got true/,
  }),
  'sigterm-spreads': orphanBreakage('sigterm-spreads', "terminate() reaches the process's own children too", {
    Z3: /did not go on after its parent's death: it ended/,
  }),
  'claims-visible-zombies': {
    catches: { Z1: /'visible-zombies' is declared, but the exited child was already reaped/ },
    description: "declares 'visible-zombies' although Node reaps every exited child at once",
    wrap: (a) => withCapabilities(a, [...a.capabilities, 'visible-zombies']),
  },
  'queue-join-returns-at-once': {
    catches: { PC2: /producer p\d+'s join\(\) on the queue returned before item/ },
    description: "a JoinableQueue's join() in a child returns at once, before the items are processed",
    wrap: (a) => {
      process.env.KIT_NODE_RUNTIME = `${DIST}/fixtures/ts/broken-runtimes/queue-join.js`;
      return a;
    },
  },
  'lossy-get': {
    catches: {
      Q1: /what the consumer got: .*expected/,
      Q8: /items got by the parent and the consumer child, together, sorted: .*expected/,
      PC1: /items consumed by \d+ consumers, sorted: .*expected|consumers that stopped at a sentinel: expected \d+, got \d+/,
    },
    description: "a child's get() loses every fifth item",
    wrap: (a) => {
      process.env.KIT_NODE_RUNTIME = `${DIST}/fixtures/ts/broken-runtimes/lossy-get.js`;
      return a;
    },
  },
  'queue-ignores-maxsize': {
    catches: {
      Q3: /puts returned while the queue was full \(after 0 get\(s\)\): expected 2, got [3-5]/,
      Q4: /expected a rejection with code ERR_MP_FULL, but it resolved/,
      Q6: /qsize\(\), empty\(\), full\(\) with 3 items in a Queue\(3\): \["full"\]: expected true, got false/,
    },
    description: 'Queue(maxsize) makes an unbounded queue',
    wrap: (a) => ({ ...a, Queue: () => a.Queue!() }),
  },
  'small-default-maxsize': {
    catches: { Q7: /no 1 'produced' observation\(s\)/ },
    description: 'a Queue made without maxsize holds 100 items, as if the default were a small number',
    wrap: (a) => ({ ...a, Queue: (maxsize) => a.Queue!(maxsize ? maxsize : 100) }),
  },
  'get-ignores-timeout': {
    catches: { Q5: /duration of get\(timeout: \d+\): .* must wait the whole timeout/ },
    description: 'get() with a timeout on an empty queue gives up at once',
    wrap: (a) => mapQueues(a, (q) => ({ get: (o) => q.get(o?.timeout !== undefined ? { block: false } : o) })),
  },
  'get-redelivers': {
    catches: {
      Q1: /the items of producer \d+, in the order got: .*expected|what is left once every item came out: expected 'none', got \{/,
    },
    description: "the parent's get() hands out every fourth item twice",
    wrap: (a) =>
      mapQueues(a, (q) => {
        let count = 0;
        let last: Json | undefined;
        return {
          get: async (o) => {
            if (++count % 4 === 0 && last !== undefined) return last;
            return (last = await q.get(o));
          },
        };
      }),
  },
  'get-truncates-large': {
    catches: { PI2: /what went wrong through the queue: expected null, got 'a broken message \(string, 65536 long\)'/ },
    description: "the parent's get() cuts strings at 64 KiB, as a reader that takes one pipe buffer for a whole message",
    wrap: (a) =>
      mapQueues(a, (q) => ({
        get: async (o) => {
          const item = await q.get(o);
          return typeof item === 'string' ? item.slice(0, 65536) : item;
        },
      })),
  },
  'put-stringifies': {
    catches: { Q2: /the items a child got: .*expected/ },
    description: 'the parent puts objects and arrays as their JSON text',
    wrap: (a) =>
      mapQueues(a, (q) => ({ put: (item, o) => q.put(typeof item === 'object' && item !== null ? JSON.stringify(item) : item, o) })),
  },
  'empty-always-true': {
    catches: { Q6: /\["empty"\]: expected false, got true/ },
    description: 'empty() says true whatever the queue holds',
    wrap: (a) => mapQueues(a, () => ({ empty: async () => true })),
  },
  'close-is-noop': {
    catches: { Q9: /expected a rejection with code ERR_MP_QUEUE_CLOSED, but it resolved/ },
    description: 'close() leaves the queue usable in the process that closed it',
    wrap: (a) => mapQueues(a, () => ({ close: async () => undefined })),
  },
  'join-does-not-wait': {
    catches: { J1: /join\(\) with \d+ unfinished: .* must wait while items are unfinished/ },
    description: "a JoinableQueue's join() returns at once",
    wrap: (a) => mapQueues(a, () => ({ join: async () => undefined })),
  },
  'poll-ignores-timeout': {
    catches: { PI1: /duration of poll\(\d+\): .* must wait the whole timeout/ },
    description: 'poll(timeout) on a connection with nothing to read answers at once',
    wrap: (a) => ({
      ...unwrapArgs(a),
      Pipe: async (duplex) => {
        const ends = await a.Pipe!(duplex);
        return ends.map((end) => keepIdentity(end, { ...end, poll: () => end.poll(0) })) as [ConnectionHandle, ConnectionHandle];
      },
    }),
  },
  'run-starts-child': {
    catches: { P14: /identity recorded by run\(\): \[0\]\["pid"\]: expected \d+, got \d+/ },
    description: 'run() called directly starts a child and waits for it, instead of running in the caller',
    wrap: (a) => mapHandles(a, (h) => ({ run: async () => (await h.start(), await h.join()) })),
  },
  ...SERVER_BREAKAGES,
};

const createAdapter: CreateAdapter = async ({ startMethod }) => {
  const breakage = startMethod ? BREAKAGES[startMethod] : undefined;
  if (!breakage) throw new Error(`unknown breakage '${String(startMethod)}'; known: ${Object.keys(BREAKAGES).join(', ')}`);
  const adapter = breakage.wrap(await ours({}));
  return { ...adapter, name: `broken:${startMethod}` };
};

export default createAdapter;

/** A breakage of the exit handling, run by the children and programs (fixtures/ts/broken-runtimes/exit-handling.ts). */
function exitBreakage(variant: string, description: string, catches: Record<string, RegExp>): Breakage {
  return {
    catches,
    description,
    wrap: (a) => {
      process.env.KIT_NODE_RUNTIME = `${DIST}/fixtures/ts/broken-runtimes/exit-handling.js`;
      process.env.KIT_BROKEN_EXIT = variant;
      return a;
    },
  };
}

/** A breakage around a parent's death, run by the children (fixtures/ts/broken-runtimes/orphans.ts). */
function orphanBreakage(variant: string, description: string, catches: Record<string, RegExp>): Breakage {
  return {
    catches,
    description,
    wrap: (a) => {
      process.env.KIT_NODE_RUNTIME = `${DIST}/fixtures/ts/broken-runtimes/orphans.js`;
      process.env.KIT_BROKEN_ORPHANS = variant;
      return a;
    },
  };
}
