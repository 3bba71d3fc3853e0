/**
 * Reads the observation channel (fixtures/README.md): the JSON-lines file children append to.
 * One file serves the whole run; a reader only sees lines written after it was created, and specs
 * run one at a time, so a test sees exactly its own children's records.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
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
  /** Where the next read starts: just past the last whole line read so far. */
  private offset = sizeOf(this.file);
  private readonly records: Observation[] = [];

  /**
   * Every record written since this reader was created, in file order. Each call reads only what
   * was appended since the last one: the file serves the whole run and grows to megabytes, and
   * waitFor() polls every 2 ms, so reading it whole each time cost the machine a share of a core
   * (CPU that the children being timed then lacked).
   */
  all(): Observation[] {
    const fd = openSync(this.file, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return [...this.records];
      const bytes = Buffer.alloc(size - this.offset);
      const got = readSync(fd, bytes, 0, bytes.length, this.offset);
      // A writer's one append is atomic for other writers, not for a reader: the last line may still
      // be arriving. Only whole lines (ending in a newline) are records; the rest is read next time.
      const whole = bytes.subarray(0, bytes.subarray(0, got).lastIndexOf(0x0a) + 1);
      this.offset += whole.length;
      for (const line of whole.toString('utf8').split('\n')) if (line.length > 0) this.records.push(JSON.parse(line) as Observation);
      return [...this.records];
    } finally {
      closeSync(fd);
    }
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
