/**
 * Figures the harness measures itself, in the same run and close to where they are used, from
 * which every timing bound is derived. None of them involves the operation under test, so a late
 * join() or a slow start() cannot stretch the bound that is meant to catch it.
 *
 * - spawn:     Node forking and exec'ing a trivial OS process (`/bin/true`, until its 'spawn' event);
 *              it grows with CPU load and memory pressure, like every real start.
 * - tick:      how late a 1 ms timer fires (90th percentile of 10): event-loop and CPU contention now.
 * - roundTrip: one trivial adapter call (currentProcess()): the cost of talking to the
 *              implementation (a pipe to the CPython agent, nothing for ours), never the call under test.
 *
 * Detection targets these bounds were sized for (unloaded machine, as measured here: spawn 1.5-6 ms,
 * tick < 1 ms, roundTrip < 1.5 ms, so `promptMost` is 13-25 ms, `prompt` 26-50 ms and `start`
 * 130-230 ms):
 * - a join() that notices an exit on a 100 ms poll is late by U(0, 100) ms; the P6 check takes 6
 *   samples and allows one over `promptMost`: it passes with probability under 0.3 %;
 * - a terminate() that signals 200 ms late, a join() that waits for another child's exit, fail
 *   their one-observation `prompt` bound always;
 * - a start() that returns 300 ms late fails the `start` bound always, and the "returns within
 *   `prompt` of the child's first observation" check always.
 * Under heavy load the figures grow, the bounds with them, and detection weakens rather than the
 * spec turning flaky; the failure message always prints the bound and the figures it came from.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Adapter } from '../adapter';
import { monotonicNow } from './clock';

export interface Yardstick {
  spawn: number;
  tick: number;
  roundTrip: number;
}

export interface Bounds {
  /**
   * "Promptly", "at once", for one observation: how long after its cause an event may come (an
   * exit after terminate(), a join()'s return after the exit). Twice `promptMost`, so that one
   * scheduling hiccup on a loaded machine is absorbed.
   */
  prompt: number;
  /** The bound most of several samples must meet, where the check allows an outlier (P6's join lateness). */
  promptMost: number;
  /** How long start() may take. CPython spawn forks, execs and pickles inside start(): about 20 ms unloaded, 100 ms loaded. */
  start: number;
  /** The figures, for failure messages. */
  basis: string;
}

const quantile = (values: readonly number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};
export const median = (values: readonly number[]): number => quantile(values, 0.5);

async function spawnCost(): Promise<number> {
  const begin = monotonicNow();
  const child = spawn('/bin/true', [], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const cost = monotonicNow() - begin;
  await exited; // reaped before the figure is used: the harness leaves nothing behind either
  return cost;
}

export async function measureYardstick(mp: Pick<Adapter, 'currentProcess'>): Promise<Yardstick> {
  const spawns: number[] = [];
  for (let i = 0; i < 5; i++) spawns.push(await spawnCost());
  const ticks: number[] = [];
  for (let i = 0; i < 10; i++) {
    const begin = monotonicNow();
    await sleep(1);
    ticks.push(Math.max(0, monotonicNow() - begin - 1));
  }
  const trips: number[] = [];
  for (let i = 0; i < 5; i++) {
    const begin = monotonicNow();
    await mp.currentProcess();
    trips.push(monotonicNow() - begin);
  }
  return { spawn: median(spawns), tick: quantile(ticks, 0.9), roundTrip: median(trips) };
}

export function boundsFrom(y: Yardstick): Bounds {
  const noise = 3 * y.tick + 3 * y.roundTrip;
  const promptMost = 10 + 2 * y.spawn + noise;
  return {
    prompt: 2 * promptMost,
    promptMost,
    start: 100 + 20 * y.spawn + noise,
    basis: `from this run's yardstick: spawn ${y.spawn.toFixed(1)} ms, tick ${y.tick.toFixed(1)} ms, round trip ${y.roundTrip.toFixed(1)} ms`,
  };
}
