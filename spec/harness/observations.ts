/**
 * Reads the observation channel (fixtures/README.md): the JSON-lines file children append to.
 * One file serves the whole run; a reader only sees lines written after it was created, and specs
 * run one at a time, so a test sees exactly its own children's records.
 */
import { readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { RuleViolation, show } from './checks';
import type { ProcessId } from './proc';

export interface Observation {
  event: string;
  pid: number;
  ppid: number;
  /** Monotonic ms (CLOCK_MONOTONIC, as clock.ts's monotonicNow()) when the record was written. */
  t: number;
  /** The writer's start time from /proc/self/stat: with pid, the writer's identity. */
  st: number;
  [field: string]: unknown;
}

export function observationFile(): string {
  const file = process.env.KIT_OBSERVE_FILE;
  if (!file) throw new Error('KIT_OBSERVE_FILE is not set: the kit global setup (spec/harness/global-setup.ts) did not run');
  return file;
}

export const writerOf = (o: Observation): ProcessId => ({ pid: o.pid, startTime: o.st });

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

  /** Records of `event`, from `pid` (or any of several pids) if given. */
  of(event: string, pid?: number | readonly number[]): Observation[] {
    const from = pid === undefined ? undefined : new Set(typeof pid === 'number' ? [pid] : pid);
    return this.all().filter((o) => o.event === event && (from === undefined || from.has(o.pid)));
  }

  /** Waits until `count` records of `event` exist (from `pid`, if given), polling every 2 ms; fails after `timeout` ms. */
  async waitFor(
    event: string,
    { count = 1, pid, timeout = 10_000 }: { count?: number; pid?: number | readonly number[]; timeout?: number } = {},
  ): Promise<Observation[]> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const found = this.of(event, pid);
      if (found.length >= count) return found;
      if (Date.now() > deadline) {
        const from = pid === undefined ? '' : ` from pid ${String(pid)}`;
        const seen = this.all().map((o) => `${o.event}@${o.pid}`);
        throw new RuleViolation(
          `no ${count} '${event}' observation(s)${from} within ${timeout} ms (saw ${found.length}; all records: ${show(seen)})`,
        );
      }
      await sleep(2);
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
