/**
 * The rule catalogue: every behaviour the seed documents teach, as data. Specs take their titles
 * from here (describeRule), the catalogue check (spec/rules/catalogue.test.ts) keeps specs and
 * rules one-to-one, and the conformance report is built from it. Ids are stable: add ids, retire
 * ids, never renumber or reuse one.
 */
import { SEEDS, type SeedId } from './seeds';

/** Closed vocabulary of rule flags; an unknown flag fails the catalogue check. */
export const FLAGS = {
  timing: 'asserts durations, with bounds derived from overhead measured in the same run',
  'property-based': 'fast-check generates the cases; numRuns is stated in the spec',
  nondeterministic: 'the outcome may legitimately vary between runs; the spec asserts only what always holds',
  'posix-only': 'relies on POSIX signals, /proc or process states',
  'whole-program': 'runs a fixture main program in a fresh process and observes it from outside',
} as const;
export type Flag = keyof typeof FLAGS;

export type Section = 'process' | 'daemon' | 'zombie' | 'lock' | 'queue' | 'joinable' | 'prodcons' | 'pipe' | 'shared' | 'server';

export interface Rule {
  id: string;
  section: Section;
  /** One line, used as the spec's title after the id. */
  title: string;
  seeds: SeedId[];
  /** The claim in our own words. */
  claim: string;
  /** What is true on CPython 3.11 here, where it refines the claim. */
  cpython: string;
  /** Where a seed document is wrong or platform-specific, and how. */
  seedErrors?: string;
  /** A documented difference of our implementation from CPython, with its reason. */
  deviation?: string;
  flags: Flag[];
  /** `planned` rules come with later issues: listed, reported as not yet specified, no spec yet. */
  status: 'specified' | 'planned';
}

const process: Rule[] = [
  {
    id: 'P1',
    section: 'process',
    title: 'start() returns at once while the child is still running its task',
    seeds: ['002', '003', '004'],
    claim: "start() only asks the OS for a new process; the parent's next statement runs while the child's task is still going.",
    cpython: 'start() returns in a few ms; the child runs concurrently. Which print appears first depends on buffering, not on start().',
    seedErrors:
      "Seeds 002, 003 and 004 show the parent's print before the child's as if guaranteed; it holds only with unbuffered output (with stdout to a pipe and no flush, the child's line comes first in CPython). The rule checks the task is still running when start() returns, not print order.",
    flags: ['timing'],
    status: 'specified',
  },
  {
    id: 'P2',
    section: 'process',
    title: 'target, positional and keyword arguments reach the child; an unknown option is refused',
    seeds: ['002'],
    claim:
      'The child runs the given target with exactly the positional and keyword arguments given; a constructor option the API does not know is an error, not a new attribute.',
    cpython: 'Process(target=f, args=(1,), age=18) raises TypeError: unexpected keyword argument.',
    seedErrors: 'Seed 002 claims Process(..., age=18) attaches an attribute age to the process object; CPython raises TypeError.',
    flags: ['property-based'],
    status: 'specified',
  },
  {
    id: 'P3',
    section: 'process',
    title: "a subclass's overridden run() is what the child executes",
    seeds: ['002', '004'],
    claim:
      "Subclassing Process and overriding run() makes the child execute that run(), with the attributes set in the subclass's constructor.",
    cpython: 'The child runs the subclass run(); attributes set in __init__ reach it (pickled under spawn, inherited under fork).',
    seedErrors:
      "Seed 004's subclass run() sleeps on an undefined name, so its child dies with NameError (exit code 1) instead of printing the end line.",
    flags: [],
    status: 'specified',
  },
  {
    id: 'P4',
    section: 'process',
    title: 'each child has its own pid, its ppid is the parent, and names count up or are kept',
    seeds: ['000', '001', '002', '004'],
    claim:
      "Every child gets a pid of its own; its parent pid is the creating process's pid; inside, the current process reports the child's pid and name; default names are Process-N with N counting up; a given name is kept.",
    cpython:
      "Default names are Process-N (ForkProcess-N etc. only when created through a context object); current_process() in the child has its pid and name. Under forkserver the child's OS parent is the fork server, while parent_process() still names the creator (capability 'forked-by-server').",
    flags: [],
    status: 'specified',
  },
  {
    id: 'P5',
    section: 'process',
    title: "a child's changes to module-level data are invisible to the parent, and the other way round",
    seeds: ['002', '004'],
    claim:
      'Processes do not share memory: module-level data a child changes stays changed only in the child, and what the parent changes after start() never reaches the child.',
    cpython:
      "Under fork the child starts from a copy of the parent's memory (changes made before start() are visible to it); under spawn and forkserver it re-imports the module and sees import-time values. Either way no later change crosses.",
    seedErrors: "Seed 002 says the parent's data is copied into the child; that is fork's behaviour only (spawn and forkserver re-import).",
    flags: ['property-based'],
    status: 'specified',
  },
  {
    id: 'P6',
    section: 'process',
    title: 'join() waits for the end; then isAlive() is false and exitCode is set',
    seeds: ['001', '003', '004'],
    claim: 'join() blocks the caller until the child has ended; afterwards the process is not alive and has an exit code.',
    cpython: 'join() returns after the child exits; is_alive() is False and exitcode 0 for a normal return.',
    flags: ['timing'],
    status: 'specified',
  },
  {
    id: 'P7',
    section: 'process',
    title: 'children joined together take about the longest, start-then-join in a loop about the sum',
    seeds: ['001', '002'],
    claim:
      "Children started together run concurrently, so joining them all takes about as long as the slowest, in any join order; starting and joining one at a time (seed 002's wrong optimisation) takes about the sum.",
    cpython: 'With 1, 2 and 3 s children: about 3.05 s together (any join order), about 6.05 s one at a time (reference, section 12).',
    flags: ['timing', 'property-based'],
    status: 'specified',
  },
  {
    id: 'P8',
    section: 'process',
    title: 'join(timeout) returns after about the timeout with the child still alive',
    seeds: ['003'],
    claim: 'A join with a timeout gives up after about that long; the child keeps running, is still alive, and has no exit code yet.',
    cpython: 'join(timeout) returns None after the timeout; is_alive() True, exitcode None.',
    flags: ['timing'],
    status: 'specified',
  },
  {
    id: 'P9',
    section: 'process',
    title: 'terminate() stops the child with SIGTERM (-15), kill() with SIGKILL (-9)',
    seeds: ['000', '001', '002', '004'],
    claim:
      'terminate() ends the child promptly by signal; the exit code is minus the signal number; right after terminate() the child may still look alive, after join() it does not.',
    cpython:
      'exitcode -15 after terminate(), -9 after kill(); is_alive() right after terminate() was True in 50/50 tries, False after 10 ms.',
    seedErrors:
      'Seed 004 prints is_alive() 1 ms after terminate() and claims False; it is usually still True then. Seed 001 is right that it may still be alive.',
    flags: ['timing', 'posix-only'],
    status: 'specified',
  },
  {
    id: 'P10',
    section: 'process',
    title: 'exit code 0 on return, n on exit(n), 1 on an uncaught error with a message on stderr',
    seeds: ['001', '003'],
    claim:
      "How the task ends decides the exit code: returning gives 0, an explicit exit with n gives n, an uncaught error gives 1 and prints the process's name and the error to stderr.",
    cpython: "sys.exit(n) gives n, an exception 1 with 'Process <name>:' and the traceback on stderr.",
    flags: ['property-based', 'whole-program'],
    status: 'specified',
  },
  {
    id: 'P11',
    section: 'process',
    title: 'misuse gets a clear error of the kind CPython gives, before anything starts',
    seeds: ['000', '002', '003', '004'],
    claim:
      'Starting twice, joining before start, setting daemon after start, closing a running process, using a closed one, terminating an unstarted one, naming an unknown task, and an unsendable target or argument (where arguments are serialized) are errors, raised before anything runs.',
    cpython:
      'AssertionError for start twice, join before start and daemon after start; ValueError for close while running and use after close; an unsendable argument fails at start() under spawn and forkserver (pickling) and is fine under fork.',
    deviation:
      "terminate() or kill() before start(): CPython has no check and fails with AttributeError on its internal _popen; ours raises ERR_MP_NOT_STARTED. The CPython adapter maps that AttributeError to the same code. Ours serializes every argument as JSON at start() (capability 'serializes-arguments'), like spawn.",
    flags: [],
    status: 'specified',
  },
];

/** Rules of later issues (shared/reference/roadmap.md): ids fixed now, specs to come. */
const planned = (id: string, section: Section, title: string, seeds: SeedId[]): Rule => ({
  id,
  section,
  title,
  seeds,
  claim: title,
  cpython: 'see shared/reference/roadmap.md',
  flags: [],
  status: 'planned',
});

const later: Rule[] = [
  planned('D1', 'daemon', 'daemon must be set before start()', ['000', '004']),
  planned('D2', 'daemon', "a running daemon child is terminated when the main program's code ends", ['002', '003', '004']),
  planned('D3', 'daemon', 'main waits for non-daemon children but not for daemon ones', ['003']),
  planned('D4', 'daemon', 'joining a non-daemon child keeps the daemon running until the join returns', ['003']),
  planned('D5', 'daemon', 'a daemon process cannot start children', ['000']),
  planned('Z1', 'zombie', 'an exited, unjoined child is a zombie until reaped', ['002', '004']),
  planned('Z2', 'zombie', 'an orphan keeps running and is adopted', ['002', '004']),
  planned('L1', 'lock', 'critical sections under one Lock never overlap', ['000', '001', '004']),
  planned('L2', 'lock', 'the ticket sale sells exactly min(N, T) tickets under the lock', ['000', '001', '004']),
  planned('L3', 'lock', 'acquire with a timeout or non-blocking returns false while held elsewhere', ['001']),
  planned('L4', 'lock', 'release of an unlocked Lock is an error; RLock is re-entrant and owned', ['001']),
  planned('L5', 'lock', 'a lock held by a terminated process is never released', ['003']),
  planned('L6', 'lock', 'N holders each holding d take at least about N*d', ['000']),
  planned('L7', 'lock', 'a lock created inside each child excludes nothing', ['000']),
  planned('Q1', 'queue', 'queues are FIFO per producer; nothing lost or duplicated', ['001', '004']),
  planned('Q2', 'queue', 'any JSON value round-trips through a queue unchanged', ['001']),
  planned('Q3', 'queue', 'put on a full queue blocks until a slot frees', ['001', '004']),
  planned('Q4', 'queue', 'non-blocking or timed put on a full queue raises Full', ['001', '004']),
  planned('Q5', 'queue', 'get on an empty queue blocks; non-blocking or timed get raises Empty', ['001', '004']),
  planned('Q6', 'queue', 'empty(), full() and qsize() are snapshots', ['001', '004']),
  planned('Q7', 'queue', 'without maxsize a queue is effectively unbounded', ['001', '004']),
  planned('Q8', 'queue', 'two children and the parent share one queue; each item delivered once', ['004']),
  planned('Q9', 'queue', 'put/get on a closed queue is an error; Full and Empty are catchable', ['001']),
  planned('J1', 'joinable', 'JoinableQueue join() returns when every item had taskDone()', ['001', '004']),
  planned('PC1', 'prodcons', 'producer/consumer with one sentinel per consumer', ['001']),
  planned('PC2', 'prodcons', 'producer/consumer with JoinableQueue and daemon consumers', ['001', '004']),
  planned('PI1', 'pipe', 'duplex and one-way pipes, EOF and poll', ['001']),
  planned('PI2', 'pipe', 'a pipe has no lock: concurrent writers can garble large messages', ['001']),
  planned('SH1', 'shared', 'a shared Value loses updates without its lock and is exact with it', ['001']),
  planned('T1', 'server', 'the TCP server echoes text upper-cased', ['003', '004']),
  planned('T2', 'server', 'each connection is served by its own process', ['003', '004']),
  planned('T3', 'server', 'closing clients and the server leaves nothing behind', ['004']),
];

export const RULES: readonly Rule[] = [...process, ...later];

export function ruleById(id: string): Rule {
  const rule = RULES.find((r) => r.id === id);
  if (!rule) throw new Error(`no rule ${id} in spec/rules/catalogue.ts`);
  return rule;
}

export { SEEDS };
