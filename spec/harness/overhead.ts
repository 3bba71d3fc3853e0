/**
 * Overhead measured in the same run, on the same adapter, so timing bounds are ratios of what this
 * machine does now rather than fixed numbers (a loaded 2-core machine moves figures by 30 % or more).
 */
import type { Adapter } from '../adapter';

export interface Overhead {
  /** Median ms from creating a `noop` process to its join() resolving. */
  startJoin: number;
  /** Median ms of one cheap adapter call (currentProcess), the cost of talking to the implementation. */
  roundTrip: number;
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

export async function measureOverhead(mp: Adapter): Promise<Overhead> {
  const startJoin: number[] = [];
  for (let i = 0; i < 3; i++) {
    const begin = performance.now();
    const p = await mp.Process({ target: 'noop' });
    await p.start();
    await p.join();
    startJoin.push(performance.now() - begin);
  }
  const roundTrip: number[] = [];
  for (let i = 0; i < 5; i++) {
    const begin = performance.now();
    await mp.currentProcess();
    roundTrip.push(performance.now() - begin);
  }
  return { startJoin: median(startJoin), roundTrip: median(roundTrip) };
}
