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
  /** The kit-issued token of the Process the record is about (spec/harness/tracked-adapter.ts). */
  tok: string;
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

/** Who a record is about: tokens (strings), or writer pids (numbers, for tests of our library alone). */
export type Who = string | number | readonly (string | number)[];

export const writerOf = (o: Observation): ProcessId => ({ pid: o.pid, startTime: o.st });

export class Observations {
  private readonly file = observationFile();
  private readonly start = sizeOf(this.file);

  /** Every record written since this reader was created, in file order. */
  all(): Observation[] {
    const bytes = readFileSync(this.file).subarray(this.start);
    // A writer's one append is atomic for other writers, not for a reader: the last line may still
    // be arriving. Only whole lines (ending in a newline) are records; the rest is read next time.
    const text = bytes.subarray(0, bytes.lastIndexOf(0x0a) + 1).toString('utf8');
    return text
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Observation);
  }

  /**
   * Records of `event` about the Process with token `tok` (or any of several), if given. A number
   * selects by writer pid instead: only for tests of our library that start processes without
   * the kit (spec/library/), where no token exists.
   */
  of(event: string, who?: Who): Observation[] {
    const about = who === undefined ? undefined : new Set<string | number>(typeof who === 'object' ? who : [who]);
    return this.all().filter((o) => o.event === event && (about === undefined || about.has(o.tok) || about.has(o.pid)));
  }

  /** Waits until `count` records of `event` exist (about `tok`, or from `pid`, if given), polling every 2 ms; fails after `timeout` ms. */
  async waitFor(
    event: string,
    { count = 1, tok, pid, timeout = 10_000 }: { count?: number; tok?: Who; pid?: Who; timeout?: number } = {},
  ): Promise<Observation[]> {
    const deadline = Date.now() + timeout;
    const who = pid ?? tok;
    for (;;) {
      const found = this.of(event, who);
      if (found.length >= count) return found;
      if (Date.now() > deadline) {
        const from = who === undefined ? '' : ` about ${String(who)}`;
        const seen = this.all().map((o) => `${o.event}@${o.tok}`);
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
