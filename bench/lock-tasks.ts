/**
 * The children of `bench/locks.ts` (ours): each runs one loop of the lock bench and writes what it
 * measured to a JSON file. They mirror bench/python/locks.py line for line, so both sides pay for
 * the same work. Children load compiled JavaScript only: these run as dist/bench/lock-tasks.js.
 *
 * Times are CLOCK_MONOTONIC nanoseconds (process.hrtime; Python's time.monotonic_ns), a clock all
 * processes of the machine share, so one child's start and another's end can be compared.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Lock, Value } from '../src';

const now = (): number => Number(process.hrtime.bigint());

/**
 * Counts this child in, then passes the gate the parent holds: every child of a round starts its
 * loop together, however long each took to start (ours boots Node; CPython's fork does not).
 */
async function arrive(ready: Value<'i'>, gate: Lock): Promise<void> {
  const counter = ready.getLock();
  await counter.acquire();
  ready.value += 1;
  counter.release();
  await gate.acquire();
  gate.release();
}

/** 1. `await lock.acquire(); lock.release()` on a lock nobody else uses: ns per pair. */
export async function uncontended(lock: Lock, n: number, out: string): Promise<void> {
  for (let i = 0; i < n / 10; i++) {
    await lock.acquire();
    lock.release();
  }
  const begin = now();
  for (let i = 0; i < n; i++) {
    await lock.acquire();
    lock.release();
  }
  const end = now();
  writeFileSync(out, JSON.stringify({ nsPerPair: (end - begin) / n }));
}

/**
 * 2a. Strict hand-off through two locks used as binary semaphores: this side takes `mine` and
 * releases `theirs`, the other side the reverse, so every pass wakes a process that is blocked.
 */
export async function handOff(mine: Lock, theirs: Lock, n: number, ready: Value<'i'>, gate: Lock, out: string): Promise<void> {
  await arrive(ready, gate);
  const begin = now();
  for (let i = 0; i < n; i++) {
    await mine.acquire();
    theirs.release();
  }
  writeFileSync(out, JSON.stringify({ begin, end: now() }));
}

/** 2b. Turn-taking through one lock: inside it, a side whose parity it is increments the counter. */
export async function takeTurns(me: number, turn: Value<'i'>, n: number, ready: Value<'i'>, gate: Lock, out: string): Promise<void> {
  const lock = turn.getLock();
  await arrive(ready, gate);
  const begin = now();
  let mine = 0;
  let misses = 0;
  while (mine < n) {
    await lock.acquire();
    if (turn.value % 2 === me) {
      turn.value += 1;
      mine++;
    } else {
      misses++;
    }
    lock.release();
  }
  writeFileSync(out, JSON.stringify({ begin, end: now(), misses }));
}

/** 3. A buyer: with the lock, read the ticket file and, while any are left, write one fewer. */
export async function buyTickets(lock: Lock, file: string, ready: Value<'i'>, gate: Lock, out: string): Promise<void> {
  await arrive(ready, gate);
  const begin = now();
  let bought = 0;
  for (;;) {
    await lock.acquire();
    try {
      const left = (JSON.parse(readFileSync(file, 'utf8')) as { tickets: number }).tickets;
      if (left <= 0) break;
      // A reader never sees half a file: the new content is renamed over the old one.
      writeFileSync(`${file}.${process.pid}`, JSON.stringify({ tickets: left - 1 }));
      renameSync(`${file}.${process.pid}`, file);
      bought++;
    } finally {
      lock.release();
    }
  }
  writeFileSync(out, JSON.stringify({ begin, end: now(), bought }));
}

/** 4. SH1: `value.value += 1` n times, bare (updates get lost) or holding the Value's own lock. */
export async function increment(value: Value<'i'>, n: number, useLock: boolean, ready: Value<'i'>, gate: Lock, out: string): Promise<void> {
  const lock = value.getLock();
  await arrive(ready, gate);
  const begin = now();
  if (useLock) {
    for (let i = 0; i < n; i++) {
      await lock.acquire();
      value.value += 1;
      lock.release();
    }
  } else {
    for (let i = 0; i < n; i++) value.value += 1;
  }
  writeFileSync(out, JSON.stringify({ begin, end: now() }));
}
