// Maps an exception reported by the CPython agent (Python class name and message) onto the kit's error codes.
import type { KitError, KitErrorCode } from '../adapter';

/** An exception as the agent reports it (spec/adapters/agent-protocol.md, "Errors"). */
export interface WireError {
  type: string;
  message: string;
  traceback?: string;
}

/** Codes for what is not a Python exception: an unmapped one, and the agent itself failing. */
export const UNMAPPED_CODE = 'ERR_MP_PYTHON';
export const AGENT_CODE = 'ERR_MP_AGENT';
type Code = KitErrorCode | typeof AGENT_CODE;

interface Rule {
  /** Python class names, qualified for non-builtins as the agent reports them. */
  types: readonly string[];
  /** Omitted: any message of these types. */
  message?: RegExp;
  /** Only for failures of this agent op (agent-protocol.md), e.g. the constructor's `create`. */
  op?: string;
  code: Code;
}

// First match wins. Messages are CPython 3.11's, measured (cpython-multiprocessing-3.11.md §1);
// several are plain `assert`s, so they only exist without `python -O`.
const RULES: readonly Rule[] = [
  { types: ['AssertionError'], message: /^cannot start a process twice$/, code: 'ERR_MP_ALREADY_STARTED' },
  { types: ['AssertionError'], message: /^process has already started$/, code: 'ERR_MP_ALREADY_STARTED' },
  { types: ['AssertionError'], message: /^can only join a started process$/, code: 'ERR_MP_NOT_STARTED' },
  // terminate()/kill() before start(): CPython has no check, it just finds `_popen` still None.
  { types: ['AttributeError'], message: /^'NoneType' object has no attribute '(terminate|kill)'$/, code: 'ERR_MP_NOT_STARTED' },
  { types: ['ValueError'], message: /^Cannot close a process while it is still running/, code: 'ERR_MP_STILL_RUNNING' },
  { types: ['ValueError'], message: /^process object is closed$/, code: 'ERR_MP_CLOSED' },
  { types: ['TypeError'], message: /unexpected keyword argument/, code: 'ERR_MP_INVALID_OPTION' },
  // The constructor's own checks: args must be iterable (`tuple(args)`), kwargs a mapping
  // (`dict(kwargs)`), and `assert group is None`. Raised by `create` only, so only mapped there.
  {
    types: ['TypeError', 'ValueError'],
    op: 'create',
    message: /is not iterable$|^cannot convert dictionary update sequence|^dictionary update sequence/,
    code: 'ERR_MP_INVALID_OPTION',
  },
  { types: ['AssertionError'], op: 'create', message: /^group argument must be None/, code: 'ERR_MP_INVALID_OPTION' },
  { types: ['UnknownTask'], code: 'ERR_MP_UNKNOWN_TASK' },
  { types: ['_pickle.PicklingError', 'pickle.PicklingError'], code: 'ERR_MP_NOT_SENDABLE' },
  { types: ['AttributeError'], message: /^Can't pickle local object/, code: 'ERR_MP_NOT_SENDABLE' },
  { types: ['TypeError'], message: /^cannot pickle /, code: 'ERR_MP_NOT_SENDABLE' },
  { types: ['AssertionError'], message: /^daemonic processes are not allowed to have children$/, code: 'ERR_MP_DAEMON_CHILDREN' },
  // Locks (cpython-multiprocessing-3.11.md §6). A Lock released when not held: multiprocessing's
  // ValueError (also under -O); threading's lock (multiprocessing.dummy) says RuntimeError.
  { types: ['ValueError'], message: /released too many times$/, code: 'ERR_MP_NOT_HELD' },
  { types: ['RuntimeError'], message: /^release unlocked lock$/, code: 'ERR_MP_NOT_HELD' },
  // An RLock released by a thread that does not hold it, or once too often: multiprocessing's
  // AssertionError (from C, so also under -O); threading's RLock says RuntimeError.
  { types: ['AssertionError'], message: /^attempt to release recursive lock not owned by thread$/, code: 'ERR_MP_NOT_OWNER' },
  { types: ['RuntimeError'], message: /^cannot release un-acquired lock$/, code: 'ERR_MP_NOT_OWNER' },
  // get_lock() of a Value made with lock=False: a raw ctypes object, without get_lock (§10). Only
  // for the agent's get_lock op, which reports it so only for such a Value.
  { types: ['AttributeError'], op: 'get_lock', message: /has no attribute 'get_lock'$/, code: 'ERR_MP_NO_LOCK' },
  // Queues (§4, §5): Full and Empty by class (queue.Empty is the C module's class, reported as
  // _queue.Empty); put/get after this process's close(); one task_done() too many (JoinableQueue,
  // and queue.Queue in multiprocessing.dummy).
  { types: ['queue.Full'], code: 'ERR_MP_FULL' },
  { types: ['_queue.Empty', 'queue.Empty'], code: 'ERR_MP_EMPTY' },
  { types: ['ValueError'], message: /^Queue .* is closed$/s, code: 'ERR_MP_QUEUE_CLOSED' },
  { types: ['ValueError'], message: /^task_done\(\) called too many times$/, code: 'ERR_MP_TOO_MANY_TASK_DONE' },
  // Pipes (§9): recv() with every peer end closed and nothing left; use of an end this process
  // closed; the wrong direction of a one-way pipe (send on the reader: read-only; recv or poll on
  // the writer: write-only). A send to a closed peer (BrokenPipeError) has no code of its own.
  { types: ['EOFError'], code: 'ERR_MP_EOF' },
  { types: ['OSError'], message: /^handle is closed$/, code: 'ERR_MP_CONNECTION_CLOSED' },
  { types: ['OSError'], message: /^connection is (read|write)-only$/, code: 'ERR_MP_READ_ONLY' },
  // A member the implementation's Process lacks (billiard: kill; multiprocessing.dummy: pid,
  // terminate, close), as the agent tells it apart from an AttributeError raised inside a member.
  { types: ['MissingMember'], code: 'ERR_MP_MISSING_MEMBER' },
  // The agent's own failures (a request it cannot understand) are kit bugs, not Python behaviour.
  { types: ['ProtocolError'], code: AGENT_CODE },
];

/** The kit code for a Python exception raised by agent op `op`; `ERR_MP_PYTHON` when no rule matches. */
export function codeFor(pythonType: string, message: string, op?: string): string {
  const rule = RULES.find(
    (r) => r.types.includes(pythonType) && (r.message === undefined || r.message.test(message)) && (r.op === undefined || r.op === op),
  );
  return rule ? rule.code : UNMAPPED_CODE;
}

/**
 * The rejection for a failed request: "[cpython-fork] AssertionError: cannot start a process twice",
 * then Python's traceback, then the caller's stack (`site`, captured when the request was made).
 */
export function pythonError(adapterName: string, error: WireError, site?: Error, op?: string): KitError {
  const traceback = error.traceback ? `\n${error.traceback.trimEnd()}` : '';
  const kitError = new Error(`[${adapterName}] ${error.type}: ${error.message}${traceback}`) as KitError;
  kitError.code = codeFor(error.type, error.message, op);
  kitError.pythonType = error.type;
  withSite(kitError, site);
  return kitError;
}

/** A failure of the adapter or agent themselves (closed, agent died, protocol violation). */
export function agentError(adapterName: string, message: string, site?: Error): KitError {
  const kitError = new Error(`[${adapterName}] ${message}`) as KitError;
  kitError.code = AGENT_CODE;
  withSite(kitError, site);
  return kitError;
}

// Rejections are created in a stdout callback, whose stack says nothing; the frames of the call
// that made the request point at the failing spec line instead.
function withSite(error: Error, site: Error | undefined): void {
  const frames = site?.stack?.split('\n').slice(1).join('\n');
  if (frames) error.stack = `${error.name}: ${error.message}\n${frames}`;
}
