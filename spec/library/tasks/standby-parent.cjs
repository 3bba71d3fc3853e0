/**
 * A program of the library's standby tests (spec/library/standby.test.ts): it grows the pool of
 * spare children to two with starts back to back, prints `spares <pid>:<start time>,...` (its
 * children once every task has been joined: the spares, read from /proc, not from the library;
 * the start time, field 22 of /proc/<pid>/stat, tells a reused pid apart), then ends the way
 * argv[2] says: `return` (nothing left to do), `throw` (an uncaught error), or `wait` (it runs
 * until the test signals it, SIGTERM or SIGKILL). CommonJS, run as it is (see queues.cjs).
 */
/* global __dirname, setImmediate, setInterval -- CommonJS, Node globals */
const fs = require('node:fs');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');

const lib = require(path.join(__dirname, '..', '..', '..', 'dist', 'src', 'index.js'));

exports.noop = function noop() {};

/** This process's children, from /proc (each thread's children file lists those it forked). */
function children() {
  const found = [];
  for (const task of fs.readdirSync(`/proc/${process.pid}/task`)) {
    const text = fs.readFileSync(`/proc/${process.pid}/task/${task}/children`, 'utf8').trim();
    if (text) found.push(...text.split(' ').map(Number));
  }
  return found;
}

async function main(end) {
  lib.setStandby({ maxSpares: 2, idleMs: 60_000 });
  for (let i = 0; i < 3; i++) {
    const p = new lib.Process({ target: exports.noop });
    p.start();
    await p.join();
  }
  for (let i = 0; i < 1000 && children().length < 2; i++) await sleep(10);
  await sleep(500); // most likely booted and waiting by now; a spare still booting must end too
  const identity = (pid) => `${pid}:${fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[19]}`;
  process.stdout.write(`spares ${children().map(identity).join(',')}\n`);
  if (end === 'throw') {
    setImmediate(() => {
      throw new Error('the program fails on purpose'); // uncaught: Node prints it and exits with 1
    });
  }
  if (end === 'wait') setInterval(() => {}, 1000);
}

if (require.main === module) void main(process.argv[2]);
