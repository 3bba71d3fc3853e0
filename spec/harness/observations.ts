/**
 * Reads the observation channel (fixtures/README.md): the JSON-lines file children append to.
 * One file serves the whole run; a reader only sees lines written after it was created, and specs
 * run one at a time, so a test sees exactly its own children's records.
 */
import { readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Observation {
  event: string;
  pid: number;
  ppid: number;
  /** Epoch milliseconds. */
  t: number;
  [field: string]: unknown;
}

/** Wall-clock now in epoch ms, fractional: the clock children stamp observations with. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

export function observationFile(): string {
  const file = process.env.KIT_OBSERVE_FILE;
  if (!file) throw new Error('KIT_OBSERVE_FILE is not set: the kit global setup (spec/harness/global-setup.ts) did not run');
  return file;
}

export class Observations {
  private readonly file = observationFile();
  private readonly start = sizeOf(this.file);

  /** Every record written since this reader was created, in file order. */
  all(): Observation[] {
    const text = readFileSync(this.file).subarray(this.start).toString('utf8');
    return text
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Observation);
  }

  of(event: string): Observation[] {
    return this.all().filter((o) => o.event === event);
  }

  /** Waits until `count` records of `event` exist (polling every 5 ms); rejects after `timeout` ms. */
  async waitFor(event: string, count = 1, timeout = 10_000): Promise<Observation[]> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const found = this.of(event);
      if (found.length >= count) return found;
      if (Date.now() > deadline) {
        throw new Error(`waited ${timeout} ms for ${count} '${event}' observation(s), saw ${found.length}: ${JSON.stringify(this.all())}`);
      }
      await sleep(5);
    }
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
