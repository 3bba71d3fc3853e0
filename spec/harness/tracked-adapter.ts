/**
 * What the kit derives from any adapter, so that a minimal adapter stays minimal: a token per
 * Process, a ledger of what each test started, a deadline on every call, and the contract's
 * obligations checked where they are cheap to check, each failing with the obligation's name.
 *
 * - Tokens: every Process gets a kit-issued token as its task's first argument (its subclass
 *   constructor's, for a subclass); fixtures record with it, so records are matched to processes
 *   by token, never by pid alone (pids are reused, and threads share one).
 * - A started handle's pid is its own: the kit reads it once start() has resolved. A pid that is
 *   missing or the parent's own is not refused there (a rule about pids says so), but whatever needs
 *   the child's real exit then fails naming the problem.
 * - A handle is one OS process that ends with its task: after join() returns, its pid must be gone,
 *   and pid() must not have changed.
 * - A member the implementation lacks is reported as missing ("the implementation has no kill()"),
 *   by any adapter that rejects with ERR_MP_MISSING_MEMBER or simply lacks the method.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Adapter, Arg, ProcessHandle, ProcessOptions, SharedHandle } from '../adapter';
import { RuleViolation, isError, show } from './checks';
import { monotonicNow } from './clock';
import { within } from './deadline';
import { Ledger } from './ledger';
import { hasEnded, type ProcessId } from './proc';

/** An adapter plus what the kit derives from it. */
export interface KitAdapter extends Adapter {
  /** The processes the current test started (spec/harness/ledger.ts). */
  readonly ledger: Ledger;
  /** The kit-issued token of a handle this adapter created (fixtures record it as `tok`). */
  tokenOf(handle: ProcessHandle): string;
  /**
   * From this monotonic time on, every pending or new adapter call rejects, naming the call: a
   * spec never ends on Jest's own timeout. The kit sets it per test; undefined lifts it.
   */
  setDeadline(at: number | undefined): void;
  /** `promise`, rejected naming `what` if it has not settled by the deadline (a wait of the kit's own, such as an exit). */
  guard<T>(what: string, promise: Promise<T>): Promise<T>;
}

/** How long after join() returned a pid may still be tearing down before it counts as outliving its task. */
const OUTLIVE_GRACE_MS = 200;
const MISSING = 'ERR_MP_MISSING_MEMBER';
/** Every member of every shared handle of the contract (LockHandle, ValueHandle, QueueHandle, ConnectionHandle). */
const SHARED_MEMBERS = [
  'acquire',
  'release',
  'get',
  'set',
  'getLock',
  'put',
  'qsize',
  'empty',
  'full',
  'close',
  'taskDone',
  'join',
  'send',
  'recv',
  'poll',
];
/** Tokens are unique in the whole run (one observation file), not only per adapter. */
let issued = 0;

const describeOptions = (options: ProcessOptions): string =>
  options.subclass !== undefined
    ? `subclass ${options.subclass}`
    : typeof options.target === 'string'
      ? options.target
      : options.target === undefined
        ? 'no target'
        : 'an unsendable target';

/**
 * The task's arguments with the token first, and the kit's wrappers of shared handles swapped back
 * for the adapter's own (an adapter recognises only the handles it made); anything that is not an
 * array or a mapping goes through untouched, for the implementation to refuse.
 */
function forAdapter(options: ProcessOptions, token: string, unwrap: (arg: Arg) => Arg): ProcessOptions {
  const { args, kwargs } = options;
  const out = { ...options };
  if (args === undefined || Array.isArray(args)) out.args = [token, ...((args as Arg[] | undefined) ?? []).map(unwrap)];
  if (typeof kwargs === 'object' && kwargs !== null && !Array.isArray(kwargs)) {
    out.kwargs = Object.fromEntries(Object.entries(kwargs).map(([key, value]) => [key, unwrap(value)]));
  }
  return out;
}

/** A rejection for a member the implementation lacks, named as such. */
function missing(member: string, cause?: unknown): RuleViolation {
  const detail = cause instanceof Error ? ` (${cause.message.split('\n')[0]})` : '';
  return Object.assign(new RuleViolation(`the implementation has no ${member}()${detail}`, { cause }), { code: MISSING });
}

/**
 * What a member's rejection becomes: a missing member named as such; a rejection with anything but an
 * Error (a handle, a plain object, a string) an obligation broken, said in one bounded line, never the
 * value dumped whole.
 */
function rejection(call: string, member: string, error: unknown): unknown {
  if ((error as { code?: unknown } | null)?.code === MISSING) return missing(member, error);
  if (isError(error)) return error;
  return new RuleViolation(
    `${call} rejected with ${show(error)}, not an Error: a failure must be a rejection with an Error whose code is one of ERROR_CODES`,
  );
}

/**
 * The obligations of a handle whose join() returned: one handle is one OS process, which ends with
 * its task (its pid is gone, or a reaped zombie, within a short grace); and pid() still gives its pid.
 */
async function joinObligations(id: ProcessId, pid: number | null, label: string, readPid: () => Promise<unknown>): Promise<string | null> {
  for (const end = monotonicNow() + OUTLIVE_GRACE_MS; !hasEnded(id); await sleep(5)) {
    if (monotonicNow() > end) {
      return `pid ${pid} still running ${OUTLIVE_GRACE_MS} ms after join() returned (${label}): one Process is one OS process, which ends with its task`;
    }
  }
  let after: unknown;
  try {
    after = await readPid();
  } catch (error) {
    // The test may have closed the handle meanwhile: a closed process refuses pid(), rightly.
    if ((error as { code?: unknown }).code === 'ERR_MP_CLOSED') return null;
    after = `an error (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
  }
  return after === pid
    ? null
    : `pid() changed after join() (${label}): ${pid} before, ${String(after)} after; it must keep the child's pid`;
}

export function track(adapter: Adapter): KitAdapter {
  const ledger = new Ledger();
  const tokens = new WeakMap<ProcessHandle, string>();
  let deadline: number | undefined;
  const guard = <T>(what: string, promise: Promise<T>): Promise<T> => {
    if (deadline === undefined) return promise;
    const left = deadline - monotonicNow();
    return within(promise, left, what, `${what} did not settle within the test's budget (${Math.round(left)} ms were left)`);
  };

  // The kit's wrapper of each shared handle, and the adapter's own handle behind it.
  const originals = new WeakMap<object, SharedHandle>();
  const unwrap = (arg: Arg): Arg => (typeof arg === 'object' && arg !== null && originals.has(arg) ? originals.get(arg)! : arg);
  /** Calls `member` of `target` under the deadline, a missing member reported as such. */
  const callOf =
    (target: object, label: string) =>
    (member: string, ...args: unknown[]): Promise<unknown> => {
      const method = (target as Record<string, unknown>)[member];
      if (typeof method !== 'function') return Promise.reject(missing(member));
      const settled = (method as (...a: unknown[]) => Promise<unknown>).apply(target, args).catch((error: unknown) => {
        throw rejection(`${member}() of ${label}`, member, error);
      });
      return guard(`${member}() of ${label}`, settled);
    };
  /**
   * The kit's wrapper of a shared object's handle: every member under the deadline, a missing one
   * reported as such; a Value's lock wrapped too (one wrapper per lock handle).
   */
  const trackShared = <H extends SharedHandle>(handle: H, label: string): H => {
    const call = callOf(handle, label);
    const tracked: Record<string, unknown> = { kind: handle.kind };
    let lock: SharedHandle | undefined;
    // Members by name, not own keys: an adapter's handle may be a class instance with prototype methods.
    for (const member of SHARED_MEMBERS) {
      if (typeof (handle as unknown as Record<string, unknown>)[member] !== 'function') continue;
      tracked[member] =
        member === 'getLock'
          ? async () => {
              const inner = (await call('getLock')) as SharedHandle;
              if (!lock || originals.get(lock) !== inner) lock = trackShared(inner, `the lock of ${label}`);
              return lock;
            }
          : (...args: unknown[]) => call(member, ...args);
    }
    originals.set(tracked, handle);
    return tracked as unknown as H;
  };
  type Maker = 'Lock' | 'RLock' | 'Value' | 'Queue' | 'JoinableQueue' | 'Pipe';
  /** An optional maker of shared objects, under the deadline; missing ones stay missing. */
  const maker = <K extends Maker>(member: K): Pick<Adapter, K> => {
    if (typeof adapter[member] !== 'function') return {} as Pick<Adapter, K>;
    const make = adapter[member] as (...args: unknown[]) => Promise<SharedHandle | SharedHandle[]>;
    const wrapped = async (...args: unknown[]): Promise<SharedHandle | SharedHandle[]> => {
      const label = `${member}(${args.map((a) => JSON.stringify(a)).join(', ')})`;
      const made = await guard(label, make.apply(adapter, args));
      return Array.isArray(made) ? made.map((end, i) => trackShared(end, `end ${i + 1} of ${label}`)) : trackShared(made, label);
    };
    return { [member]: wrapped } as Pick<Adapter, K>;
  };

  const trackHandle = (handle: ProcessHandle, label: string): ProcessHandle => {
    const call =
      <K extends keyof ProcessHandle>(member: K) =>
      (...args: Parameters<ProcessHandle[K]>): ReturnType<ProcessHandle[K]> => {
        const method = handle[member] as unknown;
        if (typeof method !== 'function') return Promise.reject(missing(member)) as ReturnType<ProcessHandle[K]>;
        const settled = (method as (...a: unknown[]) => Promise<unknown>).apply(handle, args).catch((error: unknown) => {
          throw rejection(`${member}() of ${label}`, member, error);
        });
        return guard(`${member}() of ${label}`, settled) as ReturnType<ProcessHandle[K]>;
      };
    const tracked: ProcessHandle = {
      start: async () => {
        const calledAt = monotonicNow();
        await call('start')();
        const returnedAt = monotonicNow();
        const pid = await call('pid')().catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
        ledger.addStarted(pid, label, tracked, calledAt, returnedAt);
      },
      join: async (options) => {
        await call('join')(options);
        const entry = ledger.entryOf(tracked);
        // Checked in the background, so join() returns when the implementation's does (specs time
        // it); the test fails with the violation when it ends (describe-rule.ts).
        if (options?.timeout === undefined && entry?.id) ledger.check(joinObligations(entry.id, entry.pid, label, () => call('pid')()));
      },
      isAlive: call('isAlive'),
      terminate: call('terminate'),
      kill: call('kill'),
      close: call('close'),
      run: call('run'),
      pid: call('pid'),
      exitCode: call('exitCode'),
      name: call('name'),
      daemon: call('daemon'),
      setDaemon: call('setDaemon'),
    };
    return tracked;
  };

  // Delegation rather than a prototype trick: adapters may keep #private state bound to `this`.
  return {
    contractVersion: adapter.contractVersion,
    name: adapter.name,
    ...(adapter.description === undefined ? {} : { description: adapter.description }),
    capabilities: adapter.capabilities,
    Process: async (options) => {
      const label = describeOptions(options);
      const token = `t${++issued}`;
      const handle = trackHandle(
        await guard(`Process(${label})`, adapter.Process(forAdapter(options, token, unwrap))),
        `${label} [${token}]`,
      );
      tokens.set(handle, token);
      return handle;
    },
    currentProcess: () => guard('currentProcess()', adapter.currentProcess()),
    activeChildren: () => guard('activeChildren()', adapter.activeChildren()),
    callInParent: (task, args) => guard(`callInParent('${task}')`, adapter.callInParent(task, args)),
    program: (name, args) => adapter.program(name, args),
    ...maker('Lock'),
    ...maker('RLock'),
    ...maker('Value'),
    ...maker('Queue'),
    ...maker('JoinableQueue'),
    ...maker('Pipe'),
    close: () => adapter.close(),
    ledger,
    tokenOf: (handle) => {
      const token = tokens.get(handle);
      if (token === undefined) throw new Error('tokenOf(): this handle was not created through the kit');
      return token;
    },
    setDeadline: (at) => {
      deadline = at;
    },
    guard,
  };
}
