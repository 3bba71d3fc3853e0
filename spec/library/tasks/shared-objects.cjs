/**
 * Child tasks of the library's shared-object tests (spec/library/synchronize.test.ts,
 * sharedctypes.test.ts, shared-memory.test.ts). Children load compiled JavaScript only, and the
 * build does not compile spec/, so these are plain CommonJS: they run as they are, in the child and
 * under Jest alike, and use the compiled library (dist/src), as the bootstrap does.
 *
 * Every task takes a tag first and writes its records with it (the observation channel,
 * fixtures/README.md), so a test finds its children's records by tag.
 */
/* global __dirname -- CommonJS */
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');

const DIST = path.join(__dirname, '..', '..', '..', 'dist');
const lib = require(path.join(DIST, 'src', 'index.js'));
const { record } = require(path.join(DIST, 'fixtures', 'ts', 'observe.js'));

const now = () => Number(process.hrtime.bigint()) / 1e6;

/** `{ name, code }` of what `fn` throws, or null if it does not throw. */
function thrown(fn) {
  try {
    fn();
  } catch (error) {
    return { name: error.name, code: error.code ?? null, message: String(error.message) };
  }
  return null;
}

/** Polls `test` every 2 ms; throws after `ms`, naming `what`. */
async function until(test, ms, what) {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await sleep(2);
  }
}

/** Takes `lock`, reports, and keeps it until it can take `gate` (which the test holds). */
async function holdUntilGate(tag, lock, gate) {
  await lock.acquire();
  record(tag, 'acquired', { str: String(lock) });
  await gate.acquire();
  gate.release();
  lock.release();
  record(tag, 'released', { str: String(lock) });
}

/** Takes `lock` and never lets go: the test kills it. */
async function holdForever(tag, lock) {
  await lock.acquire();
  record(tag, 'acquired');
  await sleep(60_000);
}

/** Reports, then waits for `lock` (at most `timeoutMs`), reports the outcome and lets it go. */
async function waitForLock(tag, lock, timeoutMs) {
  record(tag, 'waiting');
  const acquired = await lock.acquire({ timeout: timeoutMs });
  record(tag, 'acquired', { acquired });
  if (acquired) lock.release();
}

/** One try at `lock`, then a release(): for a lock that another process holds. */
async function tryThenRelease(tag, lock, timeoutMs) {
  const begin = now();
  const acquired = await lock.acquire({ timeout: timeoutMs });
  const waitedMs = now() - begin;
  const releaseError = thrown(() => lock.release());
  record(tag, 'tried', { acquired, waitedMs, releaseError, str: String(lock) });
}

/** Whether the shared objects it got are the same objects (one object per shared memory and process). */
function reportIdentity(tag, a, b, value, lockOfValue, nested) {
  record(tag, 'identity', {
    twice: a === b,
    nested: nested.deep[0] === a,
    valueLock: value.getLock() === lockOfValue,
    isLock: a instanceof lib.Lock,
    str: String(a),
  });
}

/** `n` increments of `value` inside `lock`, all children at once: they start when they can pass `gate` (the test holds it). */
async function hammer(tag, lock, value, n, gate) {
  record(tag, 'ready');
  await gate.acquire();
  gate.release();
  for (let i = 0; i < n; i++) {
    await lock.acquire();
    value.value += 1;
    lock.release();
  }
  record(tag, 'done');
}

/** Reads the Values it got (bigints as strings), records them, then writes `writes` into them. */
function readThenWrite(tag, values, writes) {
  const seen = {};
  const locks = {};
  for (const [key, value] of Object.entries(values)) {
    seen[key] = typeof value.value === 'bigint' ? `${value.value}n` : value.value;
    locks[key] = thrown(() => value.getLock()) ?? String(value.getLock());
  }
  record(tag, 'values', { seen, locks, typecodes: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.typecode])) });
  for (const [key, raw] of Object.entries(writes)) {
    values[key].value = typeof raw === 'string' ? BigInt(raw.replace(/n$/, '')) : raw;
  }
}

/** Takes and gives back `lock` once. */
async function useLock(tag, lock) {
  await lock.acquire();
  lock.release();
  record(tag, 'used');
}

/** Creates a Lock, reports its ref and keeps it until killed: a segment this test process does not map. */
async function makeLockAndWait(tag) {
  const lock = new lib.Lock();
  record(tag, 'made', { ref: lock.toRef() });
  await sleep(60_000);
  record(tag, 'kept', { ref: lock.toRef() }); // `lock` is used after the wait, so it stays reachable during it
}

/**
 * The creator of a tree: makes a Lock and a Value, hands both to `n` children, waits until each has
 * used them (each adds 1), then ends, by exit(0) or SIGKILL, while the children carry on.
 */
async function createAndLeave(tag, n, rounds, how) {
  const lock = new lib.Lock();
  const value = new lib.Value('i', 0);
  const pids = [];
  for (let i = 0; i < n; i++) {
    const child = new lib.Process({ target: useAfterCreator, args: [`${tag}.${i}`, lock, value, n, rounds, i === 0] });
    child.start();
    pids.push(child.pid);
  }
  record(tag, 'creator', { pids });
  await until(() => value.value >= n, 10_000, `${n} children's first increment`);
  record(tag, 'leaving', { value: value.value });
  if (how === 'SIGKILL') process.kill(process.pid, 'SIGKILL');
  // As os._exit(0) in Python: leave at once, without the exit handling that would wait for the
  // children (which wait for this process to be gone).
  process.removeAllListeners('exit');
  process.exit(0);
}

/**
 * A child of createAndLeave: uses the objects once (its creator waits for that), waits until the
 * creator is gone, then does `rounds` increments inside the lock; the first child also starts a
 * child of its own then, which does as many. Each reports the final count once all are done.
 */
async function useAfterCreator(tag, lock, value, n, rounds, spawnOne) {
  record(tag, 'attached');
  await lock.acquire();
  value.value += 1;
  lock.release();
  const creator = lib.parentProcess();
  await until(() => !creator.isAlive(), 15_000, 'the creator’s exit');
  let grandchild = null;
  if (spawnOne) {
    grandchild = new lib.Process({ target: incrementAfterCreator, args: [`${tag}.sub`, lock, value, rounds] });
    grandchild.start();
    record(tag, 'spawned', { pid: grandchild.pid });
  }
  for (let i = 0; i < rounds; i++) {
    await lock.acquire();
    value.value += 1;
    lock.release();
    if (i % 16 === 0) await sleep(0);
  }
  const total = n + (n + 1) * rounds;
  await until(() => value.value >= total, 15_000, `the count of ${total}`);
  if (grandchild) await grandchild.join();
  record(tag, 'done', { value: value.value, total, grandchildExit: grandchild?.exitCode ?? null, str: String(lock) });
}

async function incrementAfterCreator(tag, lock, value, rounds) {
  record(tag, 'attached');
  for (let i = 0; i < rounds; i++) {
    await lock.acquire();
    value.value += 1;
    lock.release();
  }
  record(tag, 'done');
}

module.exports = {
  holdUntilGate,
  holdForever,
  waitForLock,
  tryThenRelease,
  reportIdentity,
  hammer,
  readThenWrite,
  useLock,
  makeLockAndWait,
  createAndLeave,
  useAfterCreator,
  incrementAfterCreator,
};
