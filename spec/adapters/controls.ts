import { RULES } from '../rules/catalogue';

/**
 * Foreign negative controls: real implementations that are not what the rules describe, run by
 * `npm run prove` against every rule. Each must fail exactly the rules listed in `fails`, each with
 * a failure naming the real difference (the pattern), and pass every other specified rule: a rule
 * that fails here for another reason is a kit artifact (a leak check, a pid-based match, a crash
 * in cleanup), which is exactly what these controls exist to catch.
 */
export interface Control {
  /** The adapter choice, as KIT_ADAPTERS takes it. */
  choice: string;
  description: string;
  /** Rule -> a pattern one of its failures must match. */
  fails: Record<string, RegExp>;
  /** Rules it must be reported unsupported for (it lacks a member they need: Lock(), Value()...). */
  unsupported?: string[];
}

const NO_DAEMON_FLAG = /unexpected keyword argument 'daemon'/;
const NO_PROCESS_CLASS = /worker_threads has no Process class/;
const NO_HANDLER = /ECONNRESET|the connection ended before a whole line came back|no handler recorded serving/;
const NO_OWN_PID = /the child's exit cannot be observed: .* has no pid of its own|the child's pid is the parent's own/;

export const CONTROLS: Record<string, Control> = {
  'multiprocessing.dummy': {
    choice: 'cpython:fork?module=multiprocessing.dummy',
    description: "CPython's threads behind the Process API: no pid, no terminate/kill/close, shared memory, exit code 0 after exit(n)",
    fails: {
      P2: /args=5: expected a rejection with code ERR_MP_INVALID_OPTION|name after name='': expected Process-N, got "Thread/,
      P4: /the implementation has no pid\(\)|expected 'MainProcess', got 'MainThread'/,
      P5: /the list the child started with: expected 0 element\(s\), got 1/,
      P6: NO_OWN_PID,
      P7: NO_OWN_PID,
      P8: NO_OWN_PID,
      P9: /the implementation has no (terminate|kill)\(\)/,
      P10: /exit code after (exit\(\d+\)|an uncaught error): expected [1-9]\d*, got 0/,
      P11: /RuntimeError: threads can only be started once|the implementation has no close\(\)/,
      P12: /rejected with ERR_MP_MISSING_MEMBER/,
      P14: /the implementation has no pid\(\)|RuntimeError: cannot join thread before it is started/,
      // threading.Lock, not a semaphore: a negative timeout is an error, not "do not wait".
      L3: /ValueError: timeout value must be positive/,
      L5: /the implementation has no (terminate|kill)\(\)/,
      L8: /the implementation has no kill\(\)/,
      // Its Value is a plain attribute holder without get_lock(): the children fail.
      SH1: /children that finished their increments \('done' records\): expected 4, got 0/,
      // Threads share memory: an unpicklable item is delivered as it is, neither refused nor dropped.
      Q2: /the items after it \(the put was accepted\): \[1\]: unexpected key\(s\) \[ '\$unsendable' \]/,
      Q9: /the implementation has no close\(\)/,
      Q10: /the implementation has no kill\(\)/,
      // Its one-way Pipe is two queues: the receiving end sends too.
      PI1: /send\(\) on the receiving end, in a child: expected 'read-only', got 'ok'/,
      // Whole programs: a thread has no pid, and DummyProcess takes no daemon flag.
      P13: /'DummyProcess' object has no attribute 'pid'/,
      D1: NO_DAEMON_FLAG,
      D2: NO_DAEMON_FLAG,
      D3: NO_DAEMON_FLAG,
      D4: NO_DAEMON_FLAG,
      D5: NO_DAEMON_FLAG,
      D6: NO_DAEMON_FLAG,
      // The child's own daemon start fails inside the thread: no tick ever comes.
      D7: /no 3 'tick' observation\(s\) about t\d+\.daemon/,
      // A thread's "exit" is no process's exit: /proc never sees the writer end.
      Z1: /the exit of the writer of 'exiting' \[zombie\.child\] \(pid \d+\) did not settle/,
      Z2: NO_DAEMON_FLAG,
      Z3: /the grandchild's pid, as the child reported it: expected null, got \d+/,
      PC2: NO_DAEMON_FLAG,
      // The parent closes its copy of the connection after start(): a thread shares it, and the client sees the end.
      T1: NO_HANDLER,
      T2: new RegExp(`distinct handler pids among \\d+ clients served at once .*expected \\d+, got 1|${NO_HANDLER.source}`),
      T3: NO_HANDLER,
    },
  },
  worker_threads: {
    choice: './examples/adapters/worker-threads/adapter.ts',
    description: "Node's threads behind the Process API: the parent's pid, no signals, no names, no subclasses, no run()",
    fails: {
      P2: /has no thread names|was refused \(ERR_MP_MISSING_MEMBER\)/,
      P3: /cannot run the Process subclass/,
      P4: /has no thread names|expected 'MainProcess'/,
      P6: NO_OWN_PID,
      P7: NO_OWN_PID,
      P8: NO_OWN_PID,
      P9: /the child's pid is the parent's own|the implementation has no kill\(\)/,
      P10: /has no pid of its own|exit code after exit\(256\): expected 0, got 256/,
      P11: /the implementation has no (setDaemon|kill)\(\)/,
      P12: /rejected with ERR_MP_MISSING_MEMBER/,
      P14: /the implementation has no run\(\)|cannot run the Process subclass/,
      // The fixture programs construct Process objects, which its runtime refuses.
      P13: NO_PROCESS_CLASS,
      D1: /worker_threads has no daemon flag/,
      D2: NO_PROCESS_CLASS,
      D3: NO_PROCESS_CLASS,
      D4: NO_PROCESS_CLASS,
      D5: /worker_threads has no daemon flag/,
      D6: NO_PROCESS_CLASS,
      D7: /no 3 'tick' observation\(s\) about t\d+\.daemon/,
      Z1: NO_PROCESS_CLASS,
      Z2: NO_PROCESS_CLASS,
      Z3: /no 1 'tree' observation\(s\) about t\d+/,
      // A socket cannot be handed to a worker thread.
      T1: NO_HANDLER,
      T2: NO_HANDLER,
      T3: NO_HANDLER,
    },
    // Every rule that needs a shared object: worker_threads has none of them.
    unsupported: RULES.filter((r) => r.status === 'specified' && (r.needs ?? []).length > 0).map((r) => r.id),
  },
};
