/**
 * Whole-program scenarios (the D, Z, T rules, P13, PC2): a fixture main program of the adapter's
 * language runs as its own OS process (Adapter.program), and the kit watches it from outside, the
 * only place where "what happens when the main program ends" can be seen: what it printed and when,
 * its exit code, every process that wrote an observation, and when /proc saw each of them end.
 *
 * The program inherits KIT_OBSERVE_FILE, so it and every process below it write to the current
 * test's observation channel; the kit follows those writers (pid and start time) and ends whatever
 * of them is left after the test, orphans included, whatever the test's outcome.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProgramCommand } from '../adapter';
import { RuleViolation } from './checks';
import { monotonicNow } from './clock';
import type { Observation, Observations, Who } from './observations';
import { identify, type ProcessId } from './proc';

/** One line the program wrote, stamped on the kit's clock when it arrived. */
export interface ProgramLine {
  stream: 'stdout' | 'stderr';
  text: string;
  /** Monotonic ms at which the kit read it: never earlier than the write. */
  t: number;
}

export interface ProgramEnd {
  /** The exit status, or null when a signal ended it. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Monotonic ms at which the kit learned of the exit (Node's 'exit' event: after the kernel reaped it). */
  t: number;
}

export interface Scenario {
  /** The program's own pid and identity (pid + start time). */
  readonly pid: number;
  readonly id: ProcessId;
  /** Monotonic ms just before the program was spawned. */
  readonly startedAt: number;
  /** Every line written so far, in arrival order (of one stream, if given). */
  lines(stream?: ProgramLine['stream']): ProgramLine[];
  /** The first line matching `pattern`, waiting for it; fails after `timeout` ms or when the program ends without it. */
  waitForLine(pattern: RegExp, timeout?: number): Promise<ProgramLine>;
  /**
   * Resolves when the program has exited and its output is read to the end (which a child holding
   * its stdout can delay); rejects at the test's deadline, naming the program.
   */
  readonly ended: Promise<ProgramEnd>;
  /** The program's exit, as soon as Node reports it (before its output is read to the end); null while it runs. */
  exited(): ProgramEnd | null;
  /** Sends a signal to the program itself (not to its children). */
  signal(name: NodeJS.Signals): void;
  /** stdout and stderr so far, for failure messages (the last `max` characters of each). */
  transcript(max?: number): string;
  /**
   * Waits for `count` records of `event` (about `tok`, if given), as kit.observations.waitFor does,
   * but fails at once, with the program's exit and output, if the program ends without them: a
   * program that crashed says why, instead of a wait that runs out.
   */
  waitFor(event: string, options?: { tok?: Who; count?: number; timeout?: number }): Promise<Observation[]>;
}

/**
 * Starts `command`; `onStarted` receives its identity before any of its output is read, and
 * `guard` bounds every wait (the kit's test deadline).
 */
export function startScenario(
  command: ProgramCommand,
  label: string,
  onStarted: (id: ProcessId) => void,
  guard: <T>(what: string, promise: Promise<T>) => Promise<T>,
  observations: () => Observations,
): Scenario {
  const startedAt = monotonicNow();
  const child = spawn(command.file, command.args, {
    env: { ...process.env, ...command.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  const id = pid === undefined ? null : identify(pid);
  if (pid === undefined || id === null) {
    child.kill('SIGKILL');
    throw new RuleViolation(`${label}: the program could not be started (${command.file} ${command.args.join(' ')})`);
  }
  onStarted(id);
  const lines: ProgramLine[] = [];
  const waiters = new Set<() => void>();
  const reader = (stream: ProgramLine['stream']) => {
    let partial = '';
    return (chunk: string): void => {
      const t = monotonicNow();
      const parts = (partial + chunk).split('\n');
      partial = parts.pop()!;
      for (const text of parts) lines.push({ stream, text, t });
      for (const wake of [...waiters]) wake();
    };
  };
  child.stdout.setEncoding('utf8').on('data', reader('stdout'));
  child.stderr.setEncoding('utf8').on('data', reader('stderr'));
  child.on('error', () => {}); // a failed spawn surfaces as the exit below
  let done = false;
  let exit: ProgramEnd | null = null;
  child.once('exit', (exitCode, signal) => (exit = { exitCode, signal, t: monotonicNow() }));
  // 'close', not 'exit': every line the program wrote has been read by then.
  const ended = new Promise<ProgramEnd>((resolve) => {
    child.once('close', (exitCode, signal) => {
      done = true;
      for (const wake of [...waiters]) wake();
      resolve(exit ?? { exitCode, signal, t: monotonicNow() });
    });
  });
  // The start and the end of each stream: a Node error says what went wrong near the start (after
  // the source line), a Python traceback in its last line.
  const transcript = (max = 900): string => {
    const of = (stream: ProgramLine['stream']): string => {
      const text = lines
        .filter((l) => l.stream === stream)
        .map((l) => l.text)
        .join('\n');
      const head = Math.floor(max / 3);
      return JSON.stringify(text.length > max ? `${text.slice(0, head)} [...] ${text.slice(head - max)}` : text);
    };
    return `stdout: ${of('stdout')}; stderr: ${of('stderr')}`;
  };
  const scenario: Scenario = {
    pid,
    id,
    startedAt,
    lines: (stream) => lines.filter((l) => stream === undefined || l.stream === stream),
    waitForLine: (pattern, timeout = 10_000) =>
      new Promise((resolve, reject) => {
        const look = (): boolean => {
          const found = lines.find((l) => pattern.test(l.text));
          if (found) {
            finish();
            resolve(found);
            return true;
          }
          if (done) {
            finish();
            reject(new RuleViolation(`${label} ended without printing a line matching ${String(pattern)}; ${transcript()}`));
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          finish();
          reject(new RuleViolation(`${label} printed no line matching ${String(pattern)} within ${timeout} ms; ${transcript()}`));
        }, timeout);
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(wake);
        };
        const wake = (): void => void look();
        if (!look()) waiters.add(wake);
      }),
    // Made when asked for: a guarded wait nobody awaits would reject unobserved at the deadline.
    get ended() {
      return guard(`${label} to end`, ended);
    },
    exited: () => exit,
    waitFor: async (event, { tok, count = 1, timeout = 10_000 } = {}) => {
      const deadline = monotonicNow() + timeout;
      const about = tok === undefined ? '' : ` about ${String(tok)}`;
      for (;;) {
        const ended = exit; // read before the records: a record written before the exit is then seen
        const found = observations().of(event, tok);
        if (found.length >= count) return found;
        if (ended !== null) {
          const how = ended.signal ? `by ${ended.signal}` : `with exit code ${String(ended.exitCode)}`;
          throw new RuleViolation(
            `${label} ended ${how} before ${count} '${event}' record(s)${about} (saw ${found.length}); ${transcript()}`,
          );
        }
        if (monotonicNow() > deadline) {
          throw new RuleViolation(
            `no ${count} '${event}' record(s)${about} from ${label} within ${timeout} ms (saw ${found.length}); ${transcript()}`,
          );
        }
        await sleep(2);
      }
    },
    signal: (name) => {
      if (!done) child.kill(name);
    },
    transcript,
  };
  return scenario;
}
