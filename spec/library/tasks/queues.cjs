/**
 * Child tasks of the library's queue and pipe tests (spec/library/queues.test.ts,
 * connection.test.ts). Children load compiled JavaScript only, and the build does not compile
 * spec/, so these are plain CommonJS: they run as they are, in the child and under Jest alike, and
 * use the compiled library (dist/src), as the bootstrap does.
 *
 * Every task takes a tag first and writes its records with it (the observation channel,
 * fixtures/README.md), so a test finds its children's records by tag. Progress that must survive
 * a SIGKILL (what a put() or get() had returned) goes to a file of its own, one line per item,
 * with one write(2) each: independent of the queue under test.
 */
/* global __dirname -- CommonJS */
const fs = require('node:fs');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');

const DIST = path.join(__dirname, '..', '..', '..', 'dist');
const lib = require(path.join(DIST, 'src', 'index.js'));
const { record } = require(path.join(DIST, 'fixtures', 'ts', 'observe.js'));

const now = () => Number(process.hrtime.bigint()) / 1e6;

/** `{ name, code, message }` of an error. */
const described = (error) => ({ name: error.name, code: error.code ?? null, message: String(error.message) });

/** The item number `i` of a stream: its padding varies, so frames straddle the ring's end at many places. */
const streamItem = (i) => ({ i, pad: 'p'.repeat((i * 7919) % 1500) });

/** Reports, then one get() with `options`; reports what it got or the error, and how long it waited. */
async function getOnce(tag, queue, options) {
  record(tag, 'waiting');
  const begin = now();
  try {
    const item = await queue.get(options);
    record(tag, 'got', { item, waitedMs: now() - begin });
  } catch (error) {
    record(tag, 'failed', { error: described(error), waitedMs: now() - begin });
  }
}

/** Puts streamItem(0), streamItem(1), ... for ever, appending each index to `file` once its put() has returned. */
async function produceForever(tag, queue, file) {
  const fd = fs.openSync(file, 'a');
  record(tag, 'producing');
  for (let i = 0; ; i++) {
    await queue.put(streamItem(i));
    fs.writeSync(fd, `${i}\n`);
  }
}

/**
 * Gets items for ever, appending each one's `i` to `file` as soon as its get() has returned; pauses
 * 10 ms every 1,000 items, so that a test watching the file can stop it mid-stream on a loaded machine.
 */
async function consumeForever(tag, queue, file) {
  const fd = fs.openSync(file, 'a');
  record(tag, 'consuming');
  for (let n = 1; ; n++) {
    const item = await queue.get();
    fs.writeSync(fd, `${item.i}\n`);
    if (n % 1_000 === 0) await sleep(10);
  }
}

/** Puts `n` items on an unbounded queue, each put() resolving at once, then returns (the exit flushes them). */
async function putManyAndReturn(tag, queue, n) {
  for (let i = 0; i < n; i++) await queue.put({ i, pad: 'xxxxxxxxxxxxxxxxxxxxxxxx' });
  record(tag, 'returned', { qsize: queue.qsize() });
}

/** Puts `n` items of about 100 bytes, as fast as the queue lets it. */
async function putBounded(tag, queue, n) {
  record(tag, 'producing');
  for (let i = 0; i < n; i++) await queue.put({ i, pad: 'b'.repeat(90) });
  record(tag, 'done');
}

/**
 * Reports, spins until the Value `gate` is no longer 0 (the test sets it once every child is
 * ready, so that all of them start at once), then calls taskDone() `calls` times as fast as it
 * can. Reports how many calls succeeded and what the others threw.
 */
function taskDoneStorm(tag, queue, gate, calls) {
  record(tag, 'ready');
  const deadline = Date.now() + 10_000;
  while (gate.value === 0) {
    if (Date.now() > deadline) throw new Error('the gate did not open within 10 s');
  }
  let ok = 0;
  const errors = {};
  for (let i = 0; i < calls; i++) {
    try {
      queue.taskDone();
      ok++;
    } catch (error) {
      const key = `${error.name}/${error.code}`;
      errors[key] = (errors[key] ?? 0) + 1;
    }
  }
  record(tag, 'done', { ok, errors });
}

/** Takes `n` items from `inbox`, putting each back on `outbox`. */
async function echoQueue(tag, inbox, outbox, n) {
  for (let i = 0; i < n; i++) await outbox.put(await inbox.get());
  record(tag, 'echoed');
}

/** Receives `n` messages on `conn`, sending each back. */
async function echoPipe(tag, conn, n) {
  for (let i = 0; i < n; i++) await conn.send(await conn.recv());
  record(tag, 'echoed');
}

/** Sends `message`, reports, and waits to be killed without closing anything. */
async function sendAndHang(tag, conn, message) {
  await conn.send(message);
  record(tag, 'sent');
  await sleep(60_000);
  record(tag, 'woke', { conn: String(conn) }); // `conn` stays reachable during the wait
}

/** Sends `message` and returns, leaving its end open: the end is released by the exit. */
async function sendAndReturn(tag, conn, message) {
  record(tag, 'attached', { conn: String(conn) });
  await conn.send(message);
  record(tag, 'sent');
}

/** Sends `message`, closes its end, reports, then waits until it can pass `gate` (the test holds it) and returns. */
async function sendCloseAndWait(tag, conn, message, gate) {
  await conn.send(message);
  conn.close();
  record(tag, 'closed');
  await gate.acquire();
  gate.release();
}

/**
 * Makes a Queue (holding one item), a JoinableQueue, a one-way Pipe (one message sent) and a Lock,
 * reports their refs, and keeps them until killed: segments the test process does not map.
 */
async function makeObjectsAndWait(tag) {
  const queue = new lib.Queue();
  await queue.put('from the child');
  await queue.flushed();
  const joinable = new lib.JoinableQueue(3);
  const [reader, writer] = lib.Pipe(false);
  await writer.send('from the child');
  const lock = new lib.Lock();
  // The read-only end only: passing a sending end would hold a writer's slot for the receiver.
  record(tag, 'made', { queue: queue.toRef(), joinable: joinable.toRef(), reader: reader.toRef(), lock: lock.toRef() });
  await sleep(60_000);
  record(tag, 'kept', { objects: [queue, joinable, reader, writer, lock].map(String) }); // all reachable during the wait
}

module.exports = {
  makeObjectsAndWait,
  streamItem,
  getOnce,
  produceForever,
  consumeForever,
  putManyAndReturn,
  putBounded,
  taskDoneStorm,
  echoQueue,
  echoPipe,
  sendAndHang,
  sendAndReturn,
  sendCloseAndWait,
};
