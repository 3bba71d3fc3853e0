/**
 * Runs spec files against one adapter choice in a Jest process of its own (kit/jest-config.ts, in
 * band), and reads what happened, per rule and per test (kit/results.ts), as it happens: each spec
 * file's results come as a marker line on Jest's stderr when the file ends (kit/reporter.ts), and
 * everything else on that stderr between a test's markers is what the processes it started wrote
 * there (a traceback, a stack), kept, trimmed, for the test when it fails. The one way the kit runs
 * Jest: the runner (kit/index.ts), `npm run report` and `npm run prove` all come here.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST, REPO_ROOT } from '../spec/harness/paths';
import { MARKER, RESULTS_FILE_ENV, type MarkerEvent, type ResultsFile } from './reporter';
import {
  globalHookFailure,
  indent,
  interpretResults,
  keyOf,
  stripAnsi,
  type JestFile,
  type JestResults,
  type RuleResult,
  type TestOutcome,
} from './results';
import { selectRules } from './select';
import type { Counts } from './summary';

const STDERR_TAIL_LINES = 30;
/** Jest's stderr kept in memory (the end of it): enough for any tail, bounded for a chatty run. */
const STDERR_KEPT_CHARS = 1 << 20;
/** What one test's processes wrote, kept in memory while it runs (the end of it). */
const CHILD_OUTPUT_KEPT_CHARS = 64 * 1024;
const CHILD_OUTPUT_LINES = 24;

export interface RunResult {
  choice: string;
  /** The rules asked for (undefined: the whole suite). */
  rules?: string[];
  /** The spec files run. */
  files: string[];
  /** True when extra Jest arguments may have left tests of the chosen rules out. */
  filtered: boolean;
  /** The arguments given to Jest beyond the kit's own. */
  jestArgs: string[];
  /** False when Jest produced no readable results: then byRule and tests are empty. */
  complete: boolean;
  /** How Jest ended: `status 0`, `status 1`, `signal SIGKILL`, or why it could not start. */
  exit: string;
  tests: TestOutcome[];
  byRule: Map<string, RuleResult>;
  /** Failures of the run as a whole, each a complete message (possibly several lines). */
  runFailures: string[];
  /** The tests' counts, as `npm test`'s closing line gives them (kit/summary.ts); zero without results. */
  counts: Counts;
  /** The last lines of Jest's stderr (child output included, the reporter's markers left out). */
  stderrTail: string;
}

/** One spec file's results, as soon as it ended. */
export interface FileDone {
  file: string;
  rule?: string;
  tests: TestOutcome[];
  byRule: Map<string, RuleResult>;
  /** Milliseconds, as Jest measured the file. */
  duration: number | null;
}

export interface RunJestOptions {
  /** Run only these rules' spec files (ids, exactly); default: every specified rule. */
  rules?: string[];
  /** Run these spec files (absolute paths) instead. */
  files?: string[];
  /** More Jest arguments (a run with any is `filtered`). */
  jestArgs?: string[];
  /** Stream Jest's own output to stderr (quiet by default: it is captured, and its tail kept). */
  verbose?: boolean;
  /** Extra environment for the Jest process. */
  env?: Record<string, string>;
  /** Called as each spec file ends. */
  onFile?: (done: FileDone) => void;
}

const ZERO: Counts = { passed: 0, failed: 0, unsupported: 0, skipped: 0, outsideTests: 0 };

const quote = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

/** "adapter choice 'x', rules P1, P7 (Jest arguments: ...)": what a run was, for messages. */
export function describeRun(run: Pick<RunResult, 'choice' | 'rules' | 'jestArgs'>): string {
  const rules = run.rules ? `rules ${run.rules.join(', ')}` : 'the whole suite';
  const args = run.jestArgs.length > 0 ? ` (Jest arguments: ${run.jestArgs.map(quote).join(' ')})` : '';
  return `adapter choice '${run.choice}', ${rules}${args}`;
}

const tail = (text: string, lines: number): string => stripAnsi(text).trimEnd().split('\n').slice(-lines).join('\n');

const PY_FRAME = /^ {2}File "/;
const NODE_FRAME = /^\s+at /;

/**
 * What a child wrote, made short enough to read: of each Python traceback its last two frames, of
 * each Node stack its first two, then at most CHILD_OUTPUT_LINES lines (the first few and the last,
 * where Python's exception and Node's message are).
 */
export function trimChildOutput(text: string, maxLines = CHILD_OUTPUT_LINES): string | undefined {
  const lines = stripAnsi(text)
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '');
  const out: string[] = [];
  for (let i = 0; i < lines.length;) {
    if (PY_FRAME.test(lines[i]!)) {
      // A run of frames: each a `  File ...` line and its indented source lines.
      const frames: string[][] = [];
      while (i < lines.length && (PY_FRAME.test(lines[i]!) || (frames.length > 0 && /^ {4}/.test(lines[i]!)))) {
        if (PY_FRAME.test(lines[i]!)) frames.push([]);
        frames[frames.length - 1]!.push(lines[i++]!);
      }
      if (frames.length > 2) out.push(`  ... (${frames.length - 2} earlier frame${frames.length === 3 ? '' : 's'})`);
      out.push(...frames.slice(-2).flat());
    } else if (NODE_FRAME.test(lines[i]!)) {
      const start = i;
      while (i < lines.length && NODE_FRAME.test(lines[i]!)) i++;
      out.push(...lines.slice(start, Math.min(i, start + 2)));
      if (i - start > 2) out.push(`    ... (${i - start - 2} more frame${i - start === 3 ? '' : 's'})`);
    } else {
      out.push(lines[i++]!);
    }
  }
  if (out.length === 0) return undefined;
  if (out.length <= maxLines) return out.join('\n');
  const head = 6;
  const rest = maxLines - head - 1;
  return [...out.slice(0, head), `... (${out.length - head - rest} lines left out)`, ...out.slice(-rest)].join('\n');
}

/** Follows Jest's stderr: markers become events, the rest is child output of the running test (or file). */
class StderrReader {
  private partial = '';
  private kept = '';
  private running: { key: string; text: string } | null = null;
  private outsideTests = '';
  /** Trimmed output of failed tests by key, and of files (outside their tests) by absolute path. */
  readonly childOutput = new Map<string, string>();

  constructor(
    private readonly echo: boolean,
    private readonly onEvent: (event: MarkerEvent) => void,
  ) {}

  get text(): string {
    return this.kept;
  }

  write(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) this.line(line);
  }

  end(): void {
    if (this.partial) this.line(this.partial);
    this.partial = '';
  }

  private line(line: string): void {
    const at = line.indexOf(MARKER);
    if (at === -1) return this.output(`${line}\n`);
    if (at > 0) this.output(`${line.slice(0, at)}\n`);
    let event: MarkerEvent;
    try {
      event = JSON.parse(line.slice(at + MARKER.length)) as MarkerEvent;
    } catch {
      return this.output(`${line}\n`);
    }
    this.handle(event);
    this.onEvent(event);
  }

  private output(text: string): void {
    if (this.echo) process.stderr.write(text);
    this.kept += text;
    if (this.kept.length > 2 * STDERR_KEPT_CHARS) this.kept = this.kept.slice(-STDERR_KEPT_CHARS);
    if (this.running) this.running.text = (this.running.text + text).slice(-CHILD_OUTPUT_KEPT_CHARS);
    else this.outsideTests = (this.outsideTests + text).slice(-CHILD_OUTPUT_KEPT_CHARS);
  }

  private handle(event: MarkerEvent): void {
    switch (event.event) {
      case 'file-start':
        this.outsideTests = '';
        this.running = null;
        break;
      case 'test-start':
        this.running = { key: keyOf(event.file, event).key, text: '' };
        break;
      case 'test-end': {
        const output = this.running && event.status === 'failed' ? trimChildOutput(this.running.text) : undefined;
        if (output) this.childOutput.set(keyOf(event.file, event).key, output);
        this.running = null;
        break;
      }
      case 'file-end': {
        const output = trimChildOutput(this.outsideTests);
        if (output) this.childOutput.set(event.file, output);
        this.outsideTests = '';
        break;
      }
    }
  }
}

interface JestExit {
  exit: string;
  ok: boolean;
  stderr: string;
}

function runJest(args: string[], env: NodeJS.ProcessEnv, reader: StderrReader): Promise<JestExit> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (exit: string, ok: boolean): void => {
      if (settled) return;
      settled = true;
      reader.end();
      resolve({ exit, ok, stderr: reader.text });
    };
    const child = spawn(process.execPath, [require.resolve('jest/bin/jest'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    // Jest's stdout (what specs print: kit.note) goes to stderr: stdout belongs to the caller's output (a report).
    child.stdout.on('data', (chunk: Buffer) => {
      if (env.KIT_JEST_OUTPUT === '1') process.stderr.write(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => reader.write(chunk));
    child.on('error', (error) => done(`could not start Jest: ${error.message}`, false));
    child.on('close', (code, signal) => done(signal ? `signal ${signal}` : `status ${code}`, code === 0));
  });
}

/** Runs the chosen spec files against one adapter choice, in band, and reads everything that failed. */
export async function runRules(choice: string, options: RunJestOptions = {}): Promise<RunResult> {
  const { rules, verbose = false, env = {}, onFile } = options;
  const files = options.files ?? selectRules(rules ? { rules } : {}).files;
  const jestArgs = options.jestArgs ?? [];
  const dir = mkdtempSync(join(tmpdir(), 'mp-kit-results-'));
  const out = join(dir, 'results.json');
  const base = { choice, ...(rules ? { rules } : {}), files, filtered: jestArgs.length > 0, jestArgs };
  const reader = new StderrReader(verbose, (event) => {
    if (event.event !== 'file-end' || !onFile || event.results === undefined) return;
    let file: JestFile;
    try {
      file = JSON.parse(readFileSync(event.results, 'utf8')) as JestFile;
    } catch {
      return; // No progress for this file; the run's results still hold it.
    }
    const { tests, byRule } = interpretResults({ testResults: [file] }, REPO_ROOT, reader.childOutput);
    const rule = [...byRule.keys()][0];
    onFile({ file: event.file, ...(rule ? { rule } : {}), tests, byRule, duration: event.duration });
  });
  try {
    // Jest's cache in the run's own scratch folder, removed with it: a run leaves nothing behind, even
    // one started inside another kit run, whose TMPDIR is that run's folder (the README's runner example).
    const cache = join(dir, 'jest-cache');
    const jest = await runJest(
      ['--config', join(DIST, 'kit', 'jest-config.js'), `--cacheDirectory=${cache}`, ...jestArgs, '--runTestsByPath', ...files],
      {
        ...process.env,
        ...env,
        KIT_ADAPTERS: choice,
        [RESULTS_FILE_ENV]: out,
        KIT_JEST_OUTPUT: verbose ? '1' : '0',
        // The CPython agent passes its children's stderr (their tracebacks) on to Jest's, where the reader finds them.
        KIT_CPYTHON_STDERR: '1',
      },
      reader,
    );
    const stderrTail = tail(jest.stderr, STDERR_TAIL_LINES);
    const hook = globalHookFailure(jest.stderr);
    let results: ResultsFile;
    try {
      results = JSON.parse(readFileSync(out, 'utf8')) as ResultsFile;
      if (!Array.isArray(results.testResults)) throw new Error('it holds no testResults');
    } catch (error) {
      const why =
        (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'Jest wrote no results' : `unreadable results (${(error as Error).message})`;
      const message = [
        `no results for ${describeRun(base)}: ${why}; Jest ended with ${jest.exit}.`,
        ...(hook ? [hook] : []),
        `Last ${STDERR_TAIL_LINES} lines of Jest's stderr:`,
        indent(stderrTail || '(empty)'),
      ].join('\n');
      return { ...base, complete: false, exit: jest.exit, tests: [], byRule: new Map(), runFailures: [message], counts: ZERO, stderrTail };
    }
    const { tests, byRule, runFailures } = interpretResults(results as JestResults, REPO_ROOT, reader.childOutput);
    if (hook) runFailures.push(hook);
    const anyFailure = runFailures.length > 0 || [...byRule.values()].some((r) => r.failures.length > 0);
    if (!jest.ok && !anyFailure) {
      runFailures.push(
        `Jest ended with ${jest.exit} although no test failed (${describeRun(base)}). Last ${STDERR_TAIL_LINES} lines of its stderr:\n${indent(stderrTail || '(empty)')}`,
      );
    }
    const counts = { ...(results.counts ?? ZERO) };
    counts.outsideTests += runFailures.length;
    return { ...base, complete: true, exit: jest.exit, tests, byRule, runFailures, counts, stderrTail };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
