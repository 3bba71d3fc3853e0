/**
 * The rule catalogue: every behaviour the seed documents teach, as data. Specs take their titles
 * from here (describeRule), the catalogue check (spec/rules/catalogue.test.ts) keeps specs and
 * rules one-to-one, and the conformance report is built from it. Ids are stable: add ids, retire
 * ids, never renumber or reuse one.
 */
import type { Capability } from '../adapter';
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
  /**
   * Optional adapter members the rule needs (capabilities of the same name). On an adapter without
   * one, the rule is reported unsupported, naming it: its tests are skipped, never passed.
   */
  needs?: Extract<Capability, 'Lock' | 'RLock' | 'Value' | 'Queue' | 'JoinableQueue' | 'Pipe'>[];
  /** `planned` rules come with later issues: listed, reported as not yet specified, no spec yet. */
  status: 'specified' | 'planned';
}

const process: Rule[] = [
  {
    id: 'P1',
    section: 'process',
    title: 'start() returns at once while the child is still running its task',
    seeds: ['002', '003', '004'],
    claim:
      "start() only asks the OS for a new process and returns; the parent's next statement runs while the child's task is still going.",
    cpython:
      'start() returns within a few ms under fork and forkserver and about 20 ms under spawn (which forks, execs and pickles inside it), while the child runs concurrently.',
    seedErrors:
      "Seeds 002, 003 and 004 show the parent's print before the child's as if start() guaranteed it. Print order is a buffering race that flips with how the program is launched: on CPython here the parent's line comes first for `python3 file.py` writing to a pipe, the child's first when the parent goes on to join() or the program runs under `-m`. The rule checks that the task is still running when start() returns, never print order.",
    flags: ['timing'],
    status: 'specified',
  },
  {
    id: 'P2',
    section: 'process',
    title: 'target, positional and keyword arguments reach the child exactly; bad options are refused',
    seeds: ['002'],
    claim:
      'The child runs the given target with exactly the positional and keyword arguments given, nothing added or dropped, over any JSON value (long and non-ASCII strings, deep nesting, any object key). A constructor option the API does not know, args that is not a sequence, kwargs that is not a mapping and a group are errors, and nothing starts; an empty name means the default name.',
    cpython:
      "Process(age=18) raises TypeError (unexpected keyword argument); args=5 and kwargs=[1] raise TypeError; group=1 raises AssertionError; name='' gives Process-N. Ill-typed values of known options are accepted: Process(name=42, daemon='yes') constructs and name stays 42.",
    seedErrors: 'Seed 002 claims Process(..., age=18) attaches an attribute age to the process object; CPython raises TypeError.',
    deviation:
      "Ours refuses ill-typed values of known options (name=42, daemon='yes') with ERR_MP_INVALID_OPTION, where CPython accepts them: a name that is not a string breaks every message that shows it, and a daemon flag that is not a boolean is a bug in waiting.",
    flags: ['property-based'],
    status: 'specified',
  },
  {
    id: 'P3',
    section: 'process',
    title: "a subclass's overridden run() is what the child executes",
    seeds: ['002', '004'],
    claim:
      "Subclassing Process and overriding run() makes the child execute that run(), once, with the attributes set in the subclass's constructor, including a name it sets itself.",
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
      "Every child gets a pid of its own; its parent pid is the creating process's pid; inside, the current process reports the child's pid and name. The main process is MainProcess; default names are <ClassName>-N on one counter (the first child of a fresh program is Process-1, a subclass instance MyProcess-N); a given name, or one a subclass sets itself, is kept.",
    cpython:
      "Default names are type(self).__name__ + '-N' (ForkProcess-N etc. only when created through a context object); current_process() in the child has its pid and name. Under forkserver the child's OS parent is the fork server, while parent_process() still names the creator (capability 'forked-by-server', verified: one live server, neither the creator nor init).",
    flags: ['whole-program'],
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
    title: 'join() returns promptly after the end, never before; then isAlive() is false and exitCode is set',
    seeds: ['001', '003', '004'],
    claim:
      'join() blocks the caller until the child has ended and returns promptly once it has (at once if it already had); afterwards the process is not alive and has an exit code.',
    cpython: 'join() returns within about a millisecond of the exit (waitpid); is_alive() is False and exitcode 0 for a normal return.',
    flags: ['timing'],
    status: 'specified',
  },
  {
    id: 'P7',
    section: 'process',
    title:
      "children started together run at once and each join() returns at its own child's end; a start-then-join loop runs them one by one",
    seeds: ['001', '002'],
    claim:
      "Children started together run concurrently, and each join() waits for its own child only: in any join order, a join returns when its child ends, or at once if it already has, so joining them all takes about as long as the slowest. Starting and joining one at a time (seed 002's wrong optimisation) runs them one after another, about the sum.",
    cpython:
      'With 1, 2 and 3 s children: joins return at about 1, 2 and 3 s in order, all at about 3.05 s in reverse order, about 6.05 s one at a time (reference, section 12).',
    flags: ['timing', 'property-based'],
    status: 'specified',
  },
  {
    id: 'P8',
    section: 'process',
    title: 'join(timeout) returns after about the timeout with the child still alive',
    seeds: ['003'],
    claim:
      'A join with a timeout gives up after about that long (at once for zero); the child keeps running, is still alive, and has no exit code yet. If the child ends first, the join returns when it ends.',
    cpython: 'join(timeout) returns None after the timeout; is_alive() True, exitcode None.',
    flags: ['timing'],
    status: 'specified',
  },
  {
    id: 'P9',
    section: 'process',
    title: 'terminate() and kill() end the child promptly; death by a signal gives minus its number',
    seeds: ['000', '001', '002', '004'],
    claim:
      'terminate() (SIGTERM) and kill() (SIGKILL) end the child promptly; a child that dies of a signal has minus the signal number as exit code; right after terminate() the child may still look alive, after join() it does not.',
    cpython:
      'exitcode -15 after terminate(), -9 after kill(), -N for every signal whose default action ends a process. SIGINT is the exception: the child raises KeyboardInterrupt and exits 1. 1 ms after terminate(), is_alive() was True in 0-29 of 30-50 tries depending on the start method.',
    seedErrors:
      'Seed 004 prints is_alive() 1 ms after terminate() and presents False as certain: it is a race, often still True then. Seed 001 is right that the child may still look alive.',
    deviation:
      "SIGINT: a child of ours dies of the signal (exit code -2) where CPython's raises KeyboardInterrupt (exit code 1). Node cannot raise an exception inside running synchronous code, so emulating KeyboardInterrupt would let a busy task ignore Ctrl-C; dying tells the truth. SIGUSR1 opens Node's inspector in a child of ours instead of ending it (CPython: -10); the rule does not send it.",
    flags: ['timing', 'posix-only'],
    status: 'specified',
  },
  {
    id: 'P10',
    section: 'process',
    title: 'exit code 0 on return, n on exit(n), 1 on an uncaught error with a message on stderr',
    seeds: ['000', '003', '004'],
    claim:
      "How the task ends decides the exit code: returning (or having no target at all) gives 0, an explicit exit with n gives n for 0-255, an uncaught error gives 1 and prints the process's name and the error to stderr.",
    cpython:
      "sys.exit(n) gives n for 0-255; the OS keeps the low 8 bits, so sys.exit(256) gives 0 and sys.exit(-1) 255. An exception gives 1, with 'Process <name>:' and the traceback on stderr.",
    seedErrors:
      "Seed 004's subclass example uses an undefined name in run(), so its child really ends with exit code 1 and a NameError on stderr, not with the end line the seed shows. Seed 000's transcripts show the main program's exit code 0; seed 003 starts a process with no target, which runs nothing and exits 0.",
    flags: ['property-based', 'whole-program'],
    status: 'specified',
  },
  {
    id: 'P11',
    section: 'process',
    title: 'misuse gets a clear error of the kind CPython gives, before anything starts',
    seeds: ['000', '001', '002', '003', '004'],
    claim:
      'Starting twice (which runs nothing a second time), joining before start, setting daemon after start, closing a running process, using a closed one (kill() included), terminating or killing an unstarted one, naming an unknown task, and an unsendable target or argument (where arguments are serialized) are errors that name the problem, raised before anything runs.',
    cpython:
      'AssertionError for start twice, join before start and daemon after start; ValueError for close while running and use after close (name and daemon still work); an unsendable argument fails at start() under spawn and forkserver (pickling, naming the local object) and is fine under fork.',
    deviation:
      "terminate() or kill() before start(): CPython has no check and fails with AttributeError on its internal _popen; ours raises ERR_MP_NOT_STARTED. The CPython adapter maps that AttributeError to the same code. Ours serializes every argument as JSON at start() and refuses what JSON cannot carry (capabilities 'serializes-arguments' and 'refuses-unsendable'), like spawn.",
    flags: [],
    status: 'specified',
  },
  {
    id: 'P12',
    section: 'process',
    title: "any sequence of calls on a process answers as CPython's state machine does",
    seeds: ['000', '001', '002', '003', '004'],
    claim:
      "Random sequences of start, join (with and without a timeout, zero included), isAlive, exitCode, pid, terminate, kill, close, setDaemon and activeChildren on one or two processes, with the child's own end as an event the harness controls, give each call the result or error a model of CPython's Process lifecycle predicts.",
    cpython:
      "The model is CPython 3.11's: states initial, running, ended-unjoined, ended, closed; daemon can still be set after close() (close() resets _popen); terminate() of an ended child does nothing; right after terminate() or kill() isAlive() may be either (a race the model accepts). The same sequences run on CPython prove the model.",
    flags: ['property-based', 'posix-only'],
    status: 'specified',
  },
  {
    id: 'P14',
    section: 'process',
    title: 'run() called directly runs the task in the calling process, and join() then refuses',
    seeds: ['003'],
    claim:
      'Calling run() directly is an ordinary call: the task runs in the calling process (same pid, no child); join() only joins what start() began, so after run() alone it is an error; start() afterwards still runs the task in a child.',
    cpython: "p.run() runs the target in the caller; p.join() then raises AssertionError 'can only join a started process'.",
    flags: [],
    status: 'specified',
  },
];

/** Shared objects across processes: Lock, RLock and Value (the L and SH rules). */
const locks: Rule[] = [
  {
    id: 'L1',
    section: 'lock',
    title: 'critical sections of processes sharing one Lock never overlap',
    seeds: ['000', '001', '004'],
    claim:
      'A Lock made in the parent and passed to several children lets one child at a time through: from the moment one acquires it until it releases it, no other is inside. The property holds for any number of children and hold times.',
    cpython:
      'multiprocessing.Lock is a semaphore with a count of one, shared with children by inheritance (fork) or by name (spawn, forkserver); intervals between acquire and release never overlap, whichever the start method.',
    flags: ['property-based', 'timing'],
    needs: ['Lock'],
    status: 'specified',
  },
  {
    id: 'L2',
    section: 'lock',
    title: 'the ticket sale sells exactly min(N, T) tickets under the lock, and oversells without it',
    seeds: ['000', '001', '004'],
    claim:
      'N buyers read the ticket count from a shared file, think, and buy one if any is left. Inside a shared lock exactly min(N, T) buy and the file ends at max(T - N, 0); with no lock, buyers that read the same count all buy, and more tickets are sold than exist.',
    cpython:
      'As claimed under every start method; without the lock, buyers released together by a gate all read the same count and all buy.',
    seedErrors:
      "Seed 004's buyer opens the ticket file read-only ('rt') for its write, so the write raises inside the lock; since its release is not in a finally, the failing buyer keeps the lock and every other buyer waits forever. Our fixture writes through a temporary file renamed over the old one and always releases. Seeds 000 and 001 write the file in place, which a concurrent reader can see half-written.",
    flags: ['property-based'],
    needs: ['Lock'],
    status: 'specified',
  },
  {
    id: 'L3',
    section: 'lock',
    title: 'acquire with a timeout gives up after about the timeout; non-blocking acquire returns at once',
    seeds: ['001'],
    claim:
      'While another process holds the lock, acquire with a timeout returns false once the timeout has passed (not sooner, and not much later), and a non-blocking acquire returns false at once; neither takes the lock.',
    cpython:
      'acquire(timeout=0.1) returns False after 0.100 s, also from a child; acquire(False) and acquire(timeout=0) return False at once; a negative timeout also returns False at once (unlike threading.Lock).',
    flags: ['timing'],
    needs: ['Lock'],
    status: 'specified',
  },
  {
    id: 'L4',
    section: 'lock',
    title: 'releasing an unheld Lock is an error, any process may release a Lock, and an RLock is re-entrant and owned',
    seeds: ['001'],
    claim:
      "Releasing a Lock nobody holds is an error. A Lock is not owned: a child may release the parent's lock, after which the parent can take it again. An RLock can be acquired again by its holder and must be released as many times; only its holder may release it.",
    cpython:
      "Lock().release() raises ValueError 'semaphore or lock released too many times'; release from a child is allowed. RLock release by a non-owner (a child, or once too often) raises AssertionError 'attempt to release recursive lock not owned by thread'; a child's acquire with a timeout on the parent's held RLock is False.",
    deviation:
      'The owner of one of our RLocks is the process (Node runs JavaScript on one thread), not a thread; a worker thread has its own object and so owns apart, as a Python thread does.',
    flags: [],
    needs: ['Lock', 'RLock'],
    status: 'specified',
  },
  {
    id: 'L5',
    section: 'lock',
    title: 'a lock held by a terminated or killed process is never released',
    seeds: ['003'],
    claim:
      'Ending a process that holds a lock does not release it: the others wait in vain (the deadlock hazard the seed warns of). Only a release can free it.',
    cpython:
      "A child holding a Lock was terminate()d (-15): the parent's acquire(timeout=1) returned False after 1 s, twice; the same for kill() and for an RLock.",
    flags: ['timing', 'posix-only'],
    needs: ['Lock'],
    status: 'specified',
  },
  {
    id: 'L6',
    section: 'lock',
    title: 'N holders each holding for d take at least about N times d in all',
    seeds: ['000', '001'],
    claim:
      'A lock turns concurrent work into serial work: N processes that each hold the lock for d cannot all be done in less than about N times d, however many cores there are; the same work without a shared lock overlaps.',
    cpython: 'As claimed: the holds follow each other, and the span from the first entry to the last exit is at least N times d.',
    flags: ['timing'],
    needs: ['Lock'],
    status: 'specified',
  },
  {
    id: 'L7',
    section: 'lock',
    title: 'a lock made separately inside each child excludes nothing; made once in the parent and passed, it does',
    seeds: ['000'],
    claim:
      'Each Lock() is a lock of its own: children that each make one hold theirs at the same time. Mutual exclusion needs one lock made in the parent and given to every child.',
    cpython: 'Locks made in each child overlap freely; the one passed from the parent serializes them.',
    flags: ['timing'],
    needs: ['Lock'],
    status: 'specified',
  },
  {
    id: 'L8',
    section: 'lock',
    title: 'a Lock and a Value keep working among the children after their creator is SIGKILLed',
    seeds: ['000'],
    claim:
      'A lock and a shared value belong to no single process: when the process that made them and passed them to its children dies by SIGKILL, the children still exclude each other with the lock and still share the value.',
    cpython: 'Kernel semaphores and shared memory outlive their creator: the orphaned children go on serializing and counting.',
    deviation:
      "Ours hands a shared object on as /proc/<pid>/fd/<fd> of the process passing it, and a child attaches when it reads its start message: if the passing process dies between start() and that moment, the child fails with ERR_MP_SHARED_MEMORY. CPython under spawn has the same window (its resource tracker unlinks the dead creator's semaphores).",
    flags: ['posix-only'],
    needs: ['Lock', 'Value'],
    status: 'specified',
  },
  {
    id: 'SH1',
    section: 'shared',
    title: 'a shared Value loses updates without its lock and is exact with it',
    seeds: ['001'],
    claim:
      "value += 1 on a shared Value is a read and then a write, with nothing that makes it atomic: increments from several processes can be lost without a lock, and are all counted when each is done inside the Value's own lock.",
    cpython:
      'Unlocked, 4 processes x 100,000 increments lost updates 5 times out of 5 under fork (177,641-211,488 of 400,000), rarely at 4 x 1,000; under get_lock() the count was exact every time.',
    seedErrors:
      'Seed 001 says only that shared data has no lock of its own and recommends queues; it shows no numbers. How often updates are lost depends on the machine: the rule requires exactness with the lock and only reports the losses without it.',
    flags: ['nondeterministic'],
    needs: ['Value'],
    status: 'specified',
  },
];

/** Queues, JoinableQueue, producer/consumer and pipes (the Q, J, PC and PI rules). */
const queues: Rule[] = [
  {
    id: 'Q1',
    section: 'queue',
    title: "a queue keeps each producer's order and loses or duplicates nothing",
    seeds: ['001', '004'],
    claim:
      "Items come out of a queue in the order one producer put them; with several producer processes, each one's items keep their own order, and every item put comes out exactly once.",
    cpython: 'A pipe written by a feeder thread per producer: per-producer FIFO, exactly once, under every start method.',
    flags: ['property-based'],
    needs: ['Queue'],
    status: 'specified',
  },
  {
    id: 'Q2',
    section: 'queue',
    title: 'any JSON value crosses a queue unchanged; an unsendable one never corrupts it',
    seeds: ['001'],
    claim:
      'Whatever JSON value a process puts, the process that gets it receives an equal value. A value that cannot cross a process boundary does not damage the queue: the items after it still arrive intact.',
    cpython:
      'Any picklable value round-trips. An unpicklable item is accepted by put(); the feeder thread fails to pickle it, prints the error on stderr and drops it; later items arrive.',
    deviation:
      'Ours refuses an item that is not JSON at put(), with ERR_MP_NOT_SENDABLE naming it, before anything is enqueued; CPython accepts the put() and drops the item later. Both keep the queue intact; the rule accepts either.',
    flags: ['property-based'],
    needs: ['Queue'],
    status: 'specified',
  },
  {
    id: 'Q3',
    section: 'queue',
    title: 'put on a full queue waits until a consumer in another process frees a slot',
    seeds: ['004'],
    claim:
      'A bounded queue holds at most maxsize items: a producer that puts more waits, and goes on as soon as a consumer in another process takes one.',
    cpython: "put() blocks on the queue's semaphore of maxsize slots; a get() in another process releases one.",
    flags: ['timing'],
    needs: ['Queue'],
    status: 'specified',
  },
  {
    id: 'Q4',
    section: 'queue',
    title: 'non-blocking put on a full queue raises Full at once; with a timeout, after about it',
    seeds: ['001', '004'],
    claim:
      'On a full queue, put without waiting fails at once with Full, and put with a timeout fails with Full once the timeout has passed, not sooner and not much later.',
    cpython: 'put(x, block=False) raises queue.Full at once; put(x, timeout=0.5) after 0.50 s.',
    flags: ['timing'],
    needs: ['Queue'],
    status: 'specified',
  },
  {
    id: 'Q5',
    section: 'queue',
    title: 'get on an empty queue waits; non-blocking get raises Empty at once; with a timeout, after about it',
    seeds: ['001', '004'],
    claim:
      'get on an empty queue waits until another process puts an item and then returns it promptly; without waiting it fails at once with Empty; with a timeout it fails with Empty once the timeout has passed.',
    cpython:
      'get(block=False) raises queue.Empty at once; get(timeout=0.5) after 0.501 s; a blocked get() returns as soon as the feeder of another process writes.',
    flags: ['timing'],
    needs: ['Queue'],
    status: 'specified',
  },
  {
    id: 'Q6',
    section: 'queue',
    title: 'qsize(), empty() and full() are snapshots that settle once the queue is quiet',
    seeds: ['001', '004'],
    claim:
      'While other processes use a queue, qsize(), empty() and full() describe a moment that may already be gone. Once the producers have ended and nothing else moves, they are exact: qsize() counts what is left, empty() and full() agree with it.',
    cpython:
      'put() hands the item to a feeder thread: qsize() counts it at once (a semaphore), but empty() may say True just after a put() in the same process (True in 100 of 100 tries here) until the feeder has written.',
    seedErrors:
      "Seed 004 sleeps 0.1 s after its put() before asking empty(), which hides the feeder's lag rather than explaining it; the rule waits for the answer to settle, bounded by the harness's own figures.",
    flags: ['timing'],
    needs: ['Queue'],
    status: 'specified',
  },
  {
    id: 'Q7',
    section: 'queue',
    title: 'without maxsize a queue takes any number of items without waiting',
    seeds: ['004'],
    claim:
      'A queue made without maxsize (or with 0) never makes put() wait: thousands of items go in while nobody takes any, and full() stays false.',
    cpython: 'The default maxsize is the semaphore maximum, 2147483647 on Linux (Queue(0) and Queue(-5) too).',
    seedErrors: "Seed 004 says the default size is 32767: that is macOS's semaphore maximum, not Linux's.",
    flags: ['timing'],
    needs: ['Queue'],
    status: 'specified',
  },
  {
    id: 'Q8',
    section: 'queue',
    title: 'two children and the parent share one queue, and every item reaches exactly one of them',
    seeds: ['004'],
    claim:
      'One child produces, another child and the parent both take from the same queue: each item is received by exactly one of them, none is lost.',
    cpython: 'As claimed under every start method.',
    flags: [],
    needs: ['Queue'],
    status: 'specified',
  },
  {
    id: 'Q9',
    section: 'queue',
    title: 'a queue closed in one process refuses put and get there only; Full and Empty are caught by class',
    seeds: ['001'],
    claim:
      'After close(), the process that closed the queue can no longer put or get (an error that says the queue is closed); the other processes go on using it. Full and Empty are exceptions a child catches by their class.',
    cpython:
      "close() is per process: put and get there raise ValueError 'Queue ... is closed'; qsize() still works; other processes are unaffected. queue.Full and queue.Empty are what put_nowait/get_nowait raise.",
    flags: [],
    needs: ['Queue'],
    status: 'specified',
  },
  {
    id: 'Q10',
    section: 'queue',
    title: 'a queue keeps working among the children after its creator is SIGKILLed',
    seeds: ['001'],
    claim:
      "A queue belongs to no single process: when the process that made it and passed it to a producer and a consumer dies by SIGKILL, the producer's items still reach the consumer.",
    cpython:
      "A pipe and kernel semaphores: the orphaned children go on, under fork, spawn and forkserver. But a consumer killed while it waits in get() keeps the queue's read lock for ever: the other consumers then get Empty although items wait.",
    deviation:
      "Ours recovers from that: the ring's read and write locks record their holder's pid and start time, and a waiter that finds the holder dead takes the lock over (spec/library/queues.test.ts shows it); CPython's queue stays wedged.",
    flags: ['posix-only'],
    needs: ['Queue'],
    status: 'specified',
  },
  {
    id: 'J1',
    section: 'joinable',
    title: 'a JoinableQueue counts items put until each has had task_done(); join() waits for that',
    seeds: ['001', '004'],
    claim:
      'Every put() adds one unfinished item and every task_done() removes one; join() returns once none is unfinished (at once when none is), and one task_done() more than items put is an error.',
    cpython:
      "ValueError 'task_done() called too many times' for the extra call, also from a child; join() returns after the last task_done() of any process.",
    flags: ['property-based', 'timing'],
    needs: ['JoinableQueue'],
    status: 'specified',
  },
  {
    id: 'PC1',
    section: 'prodcons',
    title: 'producers and consumers with one sentinel per consumer consume every item exactly once',
    seeds: ['001', '004'],
    claim:
      'M consumers each stop at the sentinel they receive; M consumers need M sentinels; between them they consume every item exactly once.',
    cpython: 'As claimed under every start method.',
    flags: ['property-based'],
    needs: ['Queue'],
    status: 'specified',
  },
  {
    id: 'PI1',
    section: 'pipe',
    title: 'both ends of a duplex pipe send and receive; a one-way pipe does not; end of file comes when every other copy is closed',
    seeds: ['001'],
    claim:
      'Pipe() gives two connected ends that both send and receive; Pipe(duplex=False) gives a receive-only end and a send-only end. recv() after the last message raises end of file only once every copy of the other end, in every process, is closed; until then it waits, and poll(timeout) says false after about the timeout.',
    cpython:
      "One-way ends raise OSError 'connection is read-only'/'write-only'. EOFError only when all copies of the peer end are closed: with the parent's copy still open, poll(0.5) returned False after 0.5 s and recv() blocked.",
    flags: ['timing'],
    needs: ['Pipe'],
    status: 'specified',
  },
  {
    id: 'PI2',
    section: 'pipe',
    title: 'a pipe has no lock: concurrent writers can garble large messages, which a queue never does',
    seeds: ['001'],
    claim:
      'Two processes sending messages larger than the OS pipe buffer through one end of a pipe can interleave their bytes, so the receiver gets broken messages or an error; the same messages through a queue, which locks its writers, always arrive whole. The rule requires the queue to deliver every message whole, and that every message a pipe delivers whole is one that was sent; it reports how often the pipe broke them.',
    cpython:
      'Two children each sending five 200,000-character strings on one end: under fork the receiver got one whole message, then an unpickling error, in 5 runs of 5; under spawn, where the children start apart, all ten came whole in 2 of 5 runs and an error came in 3.',
    deviation:
      'Ours has a write lock on each direction of a pipe, so its messages never interleave: it never garbles (which the rule allows).',
    flags: ['nondeterministic'],
    needs: ['Pipe', 'Queue'],
    status: 'specified',
  },
];

/** Rules of later issues (shared/reference/roadmap.md), each planned first and specified since. */
const later: Rule[] = [
  {
    id: 'P13',
    section: 'process',
    title: 'a child re-runs only what the main-module guard leaves outside it, and a start() there is refused',
    seeds: ['002', '003'],
    claim:
      "Code under the main-module guard (`if __name__ == '__main__':`, `if (require.main === module)`) runs in the program only, never in a child. Whether a child runs the main module's unguarded top-level code depends on how it is made. CPython under spawn and forkserver runs the whole main module again in every child, under the name `__mp_main__`, before the target and wherever the target is defined. Under fork nothing is re-run: the child is a copy of the parent and goes straight to its target. Ours loads only the module that defines the target: when that is the main program file, its unguarded code runs again in the child, where it is not the main module, and when the target lives elsewhere the main program is not loaded at all. A start() reached while a child is still loading (an unguarded start() in the re-run main module) is refused instead of recursing: the child dies of that error (exit code 1, the error on stderr), having started nothing, and the program goes on.",
    cpython:
      "Measured on 3.11.7 with two children and the target in the main module or in another one: spawn and forkserver ran the main module once more in each child as `__mp_main__`, before the target; fork in none. Under forkserver the re-run is in each forked child, not in the server: 3.11's server looks for `main_path` in the preparation data, which names it `init_main_from_path`, so it never preloads `__main__`. An unguarded start() in the re-run raises RuntimeError 'An attempt has been made to start a new process before the current process has finished its bootstrapping phase' (spawn's _check_not_importing_main) before any process is made; the child prints the traceback, without a 'Process <name>:' header as it fails before its Process object exists, and exits 1; the parent's join() sees 1 and the program exits 0.",
    seedErrors:
      "Seeds 002 and 003 tie the guard to Windows, which has no fork (002: the guard is needed under Windows; 003: there the child imports the starting file, so an unguarded start() would start children without end). On Linux it is needed too, under spawn and forkserver (forkserver becomes the default start method on Linux in 3.14, and macOS has used spawn since 3.8); only fork does without it. Nor does an unguarded start() recurse: the first nested start() is refused during the child's bootstrapping phase, so that child fails and the program carries on.",
    deviation:
      "Ours re-runs the main program in a child only when the target is defined in it (Node loads a module, not a program, and CommonJS has no `__mp_main__`), so a target in another module never sees the main program's unguarded code run again, as under fork; capability 'reruns-main-module' tells the two apart. Its refusal is ERR_MP_BOOTSTRAPPING (BootstrappingError), and the child's stderr shows it as the cause of the failed load of the target's module.",
    flags: ['whole-program'],
    status: 'specified',
  },
  {
    id: 'D1',
    section: 'daemon',
    title: 'the daemon flag set before start() is what the child itself sees',
    seeds: ['000', '001', '002'],
    claim:
      'A process made with daemon true (or given it before start()) is a daemon in its own eyes: inside the child, the current process says daemon. Without it, or with false, the child says it is not one. Setting the flag after start() is refused: that error belongs to P11.',
    cpython:
      'current_process().daemon in the child is the flag the parent set before start(), under fork, spawn and forkserver (it travels with the process object).',
    flags: [],
    status: 'specified',
  },
  {
    id: 'D2',
    section: 'daemon',
    title: "a running daemon child is terminated as soon as the main program's code ends",
    seeds: ['002', '003', '004'],
    claim:
      "When the main program's own code is done, a daemon child that is still running is ended by SIGTERM (exit code -15) without anyone calling anything, so its output stops within a short grace of that moment, and the program exits without waiting for the daemon's task.",
    cpython:
      "multiprocessing's exit handler (registered with atexit when the module loads) terminates every live daemon child and then joins it, so an atexit handler the program registered before importing multiprocessing sees exitcode -15. Under fork a line or two the daemon had already started can appear within a few ms after the main code's last line.",
    seedErrors:
      'Seeds 002 and 004 describe the daemon as ending together with the main process; it is ended by a SIGTERM its parent sends at exit, so it ends a little after the main code (not at the same instant), and only when the main code ends normally (D6).',
    flags: ['whole-program', 'timing', 'posix-only'],
    status: 'specified',
  },
  {
    id: 'D3',
    section: 'daemon',
    title: 'at exit daemons are terminated first, then the program waits for its non-daemon children',
    seeds: ['003'],
    claim:
      "The main program does not wait for a daemon child, but it does wait for every non-daemon child to finish on its own. The daemon is terminated as soon as the main code ends, even while a non-daemon sibling is still running; the program itself ends only after that sibling's own end.",
    cpython:
      'The exit handler first sends SIGTERM to every daemon child, then joins every child in turn; a non-daemon child is never signalled and its exit code is its own (0 here).',
    seedErrors:
      "Seed 003 says the daemon does not wait for the other children: true, and the order is the exit handler's (terminate daemons, then join all), not a property of the daemon.",
    flags: ['whole-program', 'timing', 'posix-only'],
    status: 'specified',
  },
  {
    id: 'D4',
    section: 'daemon',
    title: 'joining a non-daemon child keeps the daemon running until that join returns',
    seeds: ['003'],
    claim:
      'A main program that joins its non-daemon worker keeps its code running during the join, so a daemon monitor keeps working for as long as the join lasts, and ends only once the main code, after the join, is done.',
    cpython:
      'The daemon keeps running while the parent is blocked in join(); it is terminated by the exit handler after the main code returns.',
    flags: ['whole-program', 'timing', 'posix-only'],
    status: 'specified',
  },
  {
    id: 'D5',
    section: 'daemon',
    title: 'a daemon process that tries to start a child gets an error, and nothing is started',
    seeds: ['000'],
    claim:
      'A daemon may not have children of its own: its start() of a child fails with an error saying so, before any process is created.',
    cpython:
      "start() in a daemonic process raises AssertionError 'daemonic processes are not allowed to have children' (a plain assert: gone under python -O).",
    flags: [],
    status: 'specified',
  },
  {
    id: 'D6',
    section: 'daemon',
    title: 'a daemon child outlives its parent killed by a signal, adopted like any orphan',
    seeds: ['000', '001'],
    claim:
      "A daemon child is ended by its parent's exit handling, and that runs only when the main program ends by itself. A parent killed by SIGKILL, or by a SIGTERM it does not handle, runs none of it: its daemon child keeps running, sees its parent dead and is adopted, as any orphan (Z2). The spec ends the daemon itself, and checks that the program's helper processes end once it has.",
    cpython:
      'Measured on 3.11.7 with a daemon child ticking every 20 ms: after SIGKILL and after SIGTERM of the program (exit -9 and -15) it ticked on under fork, spawn and forkserver, with getppid() 1 (under forkserver: the fork server) and parent_process().is_alive() False. multiprocessing terminates daemons from an atexit handler, which a death by a signal never reaches.',
    seedErrors:
      'Seeds 000 and 001 say a daemon dies whenever the process it belongs to dies. That holds only when the parent ends normally (D2): a parent killed by a signal terminates nothing, and its daemon lives on as an orphan.',
    flags: ['whole-program', 'posix-only', 'timing'],
    status: 'specified',
  },
  {
    id: 'D7',
    section: 'daemon',
    title: "a child's own daemon children are terminated when that child's code ends",
    seeds: ['000'],
    claim:
      "The daemon flag ties a process to the process that created it, not to the main program: when a child's own code is done, the daemons it started are terminated before it exits, while the main program goes on.",
    cpython:
      'A child runs the same exit handling as the main program at the end of its bootstrap (_bootstrap calls util._exit_function): its daemonic children get SIGTERM, then it joins its children, then it exits.',
    seedErrors: 'Seed 000 speaks of daemons ending with the main process; the guard is the creating process, whichever it is.',
    flags: ['timing', 'posix-only'],
    status: 'specified',
  },
  {
    id: 'Z1',
    section: 'zombie',
    title: 'an exited child stays a zombie until join(), isAlive(), activeChildren(), exitCode or another start() reaps it',
    seeds: ['000', '002', '004'],
    claim:
      "A child that has ended is not gone until its parent collects its exit status: until then /proc shows it in state Z, with the creator as its parent. Each of join(), isAlive(), activeChildren(), reading exitCode and starting another process collects it, after which its pid is gone, and the exit code stays readable on the handle. Where the implementation collects every exited child at once (no capability 'visible-zombies'), no zombie is ever visible: the exited child must be gone from /proc within the harness's prompt bound, and the same calls still report it ended, with its exit code.",
    cpython:
      "Measured on 3.11.7 with a child exiting with 7, looked at 0.5 s later: under fork and spawn /proc showed it Z with the program as its parent; is_alive() (False), active_children() ([]), exitcode (7), join() and a second Process's start() (which first polls every finished child, _cleanup()) each left it gone, and exitcode stayed 7. Under forkserver its OS parent is the fork server, which reaps it itself: the pid was gone before any call.",
    seedErrors:
      "Seed 002 says the parent notices a child's end and collects it after a while by itself; multiprocessing collects nothing until the program makes one of these calls (it has no SIGCHLD handler), so under fork and spawn a child nobody asks about stays a zombie until the program ends. Seed 004 says every process but init becomes a zombie: only between its exit and its reaping, which under forkserver and in Node is at once. Seed 000 cures zombies by killing the parent with p.terminate(); that signals the child p, and the cure within the program is join() or any call above.",
    flags: ['whole-program', 'posix-only', 'timing'],
    status: 'specified',
  },
  {
    id: 'Z2',
    section: 'zombie',
    title: 'a child whose parent is killed keeps running, sees its parent dead and is adopted by a live process',
    seeds: ['002', '004'],
    claim:
      "When the parent dies first (SIGKILL: nothing of it runs), its child goes on with its task. From `prompt` after the death on, the child's library says its parent is not alive (parentProcess().isAlive() false), and its OS parent is no longer the dead one but a live process that adopted it, the same in /proc as in the child's own records. The spec finds the adopter rather than assuming it: without a fork server the OS parent changes at the death; under one (capability 'forked-by-server') the server was and stays the OS parent. The spec then kills the orphan itself. The program's helper processes (CPython's fork server and resource tracker, our standby child) write no records, so they are read from /proc before the kill and put in the kit's ledger: each must end on its own within the start bound once parent and orphan are gone, and the kit kills whatever is left.",
    cpython:
      "Measured on 3.11.7 with a child ticking every 20 ms and the program SIGKILLed: under fork and spawn the next tick read getppid() 1 (no subreaper here; pid 1 is the VM's own init process) and parent_process().is_alive() False. Under forkserver getppid() stayed the fork server's pid while is_alive() turned False. The fork server and the resource tracker (spawn and forkserver) outlived the program, adopted by pid 1, and exited within 50 ms of the orphan's SIGKILL: the orphan holds their pipes, so they see end of file only when it ends. The killed program's temp folder (pymp-*, holding the fork server's socket) stays behind for good, as nothing of the program runs to remove it: the spec removes the folders in which the program's processes held sockets.",
    seedErrors:
      "Seeds 002 and 004 say init adopts orphans. Linux gives an orphan to its nearest ancestor that declared itself a subreaper (systemd user managers, container inits), else to pid 1, which need not be init (here a VM agent); under CPython's forkserver nobody adopts it, as the server stays its parent. Seed 002's remedy for zombies, killing their parent so that init collects them, relies on the adopter reaping promptly: pid 1 here left an exited orphan a zombie for about a second.",
    flags: ['whole-program', 'posix-only', 'timing'],
    status: 'specified',
  },
  {
    id: 'Z3',
    section: 'zombie',
    title: "terminate() leaves the process's own children running, as orphans",
    seeds: ['001', '003'],
    claim:
      "terminate() sends SIGTERM to that one process: its own children get no signal and keep running. Once it is dead they are orphans as in Z2: their library says their parent is not alive, and their OS parent is a live adopter that /proc and their own records agree on (under a fork server, the server the terminated child had started for its own children). The spec ends the orphan itself and checks that the terminated child's helper processes end once it has.",
    cpython:
      "Measured on 3.11.7: a child was terminated (-15) while its own child ticked every 20 ms; the grandchild went on, with parent_process().is_alive() False. Under fork and spawn its getppid() became 1. Under forkserver the child had started a fork server of its own (a child's start() does not reach the program's server), which forked the grandchild: that server stayed its OS parent, itself adopted by pid 1, and ended once the grandchild was killed.",
    seedErrors:
      'Seeds 001 and 003 say terminating a process that has children turns those children into zombies. They are orphans: still running, and adopted. A zombie is a process that has ended and whose parent has not collected it (Z1); an orphan becomes one only once it ends, until its adopter reaps it.',
    flags: ['posix-only', 'timing'],
    status: 'specified',
  },
  {
    id: 'PC2',
    section: 'prodcons',
    title: 'producers join() a JoinableQueue until every item is processed; daemon consumers end with the main code',
    seeds: ['001', '004'],
    claim:
      "Several producers put items into one JoinableQueue and then join() it; several daemon consumers loop forever, taking an item, processing it and calling task_done(). A producer's join() returns only once every item put before it began has had its task_done(), whichever producer put it and whichever consumer took it; the main program joins the producers (and may join the queue too, which then returns at once) and reaches the end of its code. The consumers, still blocked in get(), are ended then because they are daemons, promptly, and the program exits 0 instead of waiting for them forever. Every item is processed exactly once.",
    cpython:
      "As claimed under fork, spawn and forkserver: at interpreter exit multiprocessing's exit handler terminates the daemon children (SIGTERM, exit code -15) and joins them; a consumer killed while blocked in get() leaves nothing behind that the exit waits for, and the program exits 0 with nothing on stderr.",
    seedErrors:
      "Seed 001's code lost the start of most lines, so its programs cannot be run as printed; what is left shows each producer calling join() on the queue and two daemon consumers, and it says that when the producer ends the daemon consumer ends too: the consumer ends when the main program's code ends (after it joined the producer), not when a sibling does. Both seeds word join() as waiting until the items are taken (001: until the data is taken out, 004's comment: until all data is taken); it waits until every item has had task_done(), which the consumer calls after processing, not when it gets the item. Seed 004's program itself (two producers of three items, two daemon consumers, main joining the producers and then the queue) is right.",
    flags: ['whole-program', 'property-based', 'timing', 'posix-only'],
    needs: ['JoinableQueue'],
    status: 'specified',
  },
  {
    id: 'T1',
    section: 'server',
    title: 'the TCP server echoes text upper-cased',
    seeds: ['003', '004'],
    claim:
      'A client that sends "hello" gets "HELLO" back, and any text comes back upper-cased and otherwise unchanged: every character, in order, a byte order mark included, however TCP splits the bytes, even inside a character (the server decodes each connection as one UTF-8 stream). Checked with fast-check (100 texts on one connection, each split at a random byte across two reads) over ASCII and 2-, 3- and 4-byte UTF-8, kept to the code points where Python\'s str.upper() and JavaScript\'s toUpperCase() agree: Python 3.11 follows Unicode 14 and Node 20 a later version, and 55 code points here (letters that gained a case mapping since) differ, computed at run time by asking python3 once. The expected text is JavaScript\'s upper-casing of what was sent.',
    cpython:
      "The fixture program (the seeds' server, fixed) decodes with an incremental UTF-8 decoder (errors='replace'), upper-cases with str.upper() and writes with sendall(); under fork, spawn and forkserver the echo is as claimed. Invalid bytes come back as U+FFFD, one per maximal ill-formed subsequence, as ours does (library tests; not part of this rule).",
    seedErrors:
      "Seed 004's handler decodes each recv() of 1024 bytes on its own, outside its try: a character whose bytes arrive in two reads (more likely the longer the text) raises UnicodeDecodeError, the handler process dies with a traceback and the client's connection drops. It replies with send(), which may write only part of the reply; sendall() writes it all. Seed 003 only announces such a server in a comment.",
    flags: ['whole-program', 'property-based'],
    status: 'specified',
  },
  {
    id: 'T2',
    section: 'server',
    title: 'each connection is served by its own process',
    seeds: ['003', '004'],
    claim:
      "Every accepted connection is handed to a new process that serves it alone: k clients connected at once are served by k distinct processes (each handler records its own pid and its client's port), none of which is the server program itself (fast-check over k from 2 to 5, 3 runs). A slow client, connected and sending half a line, does not hold up the others: while it waits, k other clients connect and each gets its reply within the starts of k handlers one after another plus two more (kit.bounds(), measured in the same run; a server that serves one connection at a time would never answer them while the slow one holds on), and the slow client is then served as well.",
    cpython:
      'As claimed under fork, spawn and forkserver: each handler is a child (under forkserver, a child of the fork server) with its own pid; the accept loop goes on while handlers run.',
    seedErrors:
      'Seed 004 is right about one process per connection; seed 003 calls its example a concurrent socket server but shows no server. Neither says what a process per connection costs: a new process for every client (a fork, or a whole new interpreter under spawn), which bench/tcp-server.ts measures.',
    flags: ['whole-program', 'property-based', 'timing'],
    status: 'specified',
  },
  {
    id: 'T3',
    section: 'server',
    title: 'closing clients and the server leaves nothing behind',
    seeds: ['004'],
    claim:
      "When a client closes its connection, the process that served it ends promptly (within a start's bound plus a prompt one of the client's close) and is reaped, leaving no zombie, while the server keeps accepting: the next client is served. When the server is closed (its stop gate), it stops accepting, ends the handlers still running (their clients see the end of their connections) and joins them before it exits 0: no handler outlives the program, and no socket of the port is left open in any process (only TIME_WAIT entries, which no process holds). A new server binds the same port at once and serves, although the closed server's side of the connections may still wait in TIME_WAIT.",
    cpython:
      "As claimed under fork, spawn and forkserver with the fixture program, which closes its copy of each connection after start(), reaps ended handlers with is_alive() in its accept loop, terminates and joins the rest when stopped, and sets SO_REUSEADDR. Under fork each handler also holds a copy of the listening socket until it ends. Node's net sets SO_REUSEADDR on every listening socket by itself.",
    seedErrors:
      "Seed 004's server binds without SO_REUSEADDR, so after it is stopped the port cannot be bound again (EADDRINUSE) while its side of closed connections waits in TIME_WAIT, up to a minute: the spec notes, each time there are such entries, that such a bind fails right then. Its parent never closes its own copy of a connection after start() (the variable is only rebound at the next accept), so a client whose handler has ended still sees an open connection until another client arrives; it never joins its handlers, so each ended one stays a zombie under fork and spawn; and it has no way to stop but being killed, which leaves its handlers running.",
    flags: ['whole-program', 'posix-only', 'timing'],
    status: 'specified',
  },
];

export const RULES: readonly Rule[] = [...process, ...locks, ...queues, ...later];

export function ruleById(id: string): Rule {
  const rule = RULES.find((r) => r.id === id);
  if (!rule) throw new Error(`no rule ${id} in spec/rules/catalogue.ts`);
  return rule;
}

export { SEEDS };
