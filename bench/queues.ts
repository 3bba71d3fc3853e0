/**
 * `npm run bench:queues` (also part of `npm run bench`): Queue and Pipe across processes, ours
 * beside CPython's multiprocessing in the same run, as ratios. Three measures, each a median of
 * several rounds, every round in fresh child processes:
 *
 *   1. throughput, one producer child to the parent: 200,000 small integers, (a) through an
 *      unbounded Queue, `put()` in the child and `get()` in the parent, (b) down a one-way Pipe;
 *      items/s from the first item the parent receives to the last (so no process start counts);
 *   2. round trip between the parent and one child: the parent puts (sends) an item, the child
 *      takes it and puts (sends) it back, the parent takes it: (a) through two Queues, (b) through
 *      one duplex Pipe; µs per round trip, after 200 untimed ones;
 *   3. 1,000,000 small integers through a Queue(maxsize=1000) from a producer child to the parent:
 *      the peak resident set (VmHWM) of the producer (CPython's: with its feeder thread) and of the
 *      parent, and of any other process of the tree (ours' standby child, CPython's resource
 *      tracker); and the items/s it ran at.
 *
 * Every item is checked in the parent: one lost, duplicated or out of order fails the bench.
 *
 * Both sides run the same way: each measure's rounds in a fresh parent process, ours
 * `node dist/bench/queues.js --side METRIC REPS N` (this file; its children run
 * bench/queue-tasks.ts, compiled), CPython `python3 bench/python/queues.py METRIC METHOD REPS N`,
 * fork and, for 2, spawn (a started child moves items the same way under either: 1 and 3 time no
 * start). Each prints one JSON line, a list of rounds. Measure 3 runs one round per parent process,
 * so the parent's peak is its own, and while it runs this process samples VmRSS and VmHWM of every
 * process of that tree (/proc/<pid>/task/<tid>/children, /proc/<pid>/status) every 10 ms; each
 * process also reads its own VmHWM at the end, and the larger figure counts.
 *
 * The table goes to stdout and to reports/bench-queues.md with a paragraph on it, and a table of
 * the ratios of the last few runs (read back from the report), for their spread. Figures move
 * ±30 % from run to run on these machines (more when loaded): compare only the ratios of one run.
 * Options: --reps N (default 3; 5 for the round trips), --quick (fewer, smaller rounds; prints only).
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pipe, Process, Queue, stopStandby, type Json } from '../src';
import { median } from '../spec/harness/yardstick';
import { echoPipe, echoQueue, memory, produce, sendAll } from './queue-tasks';

const ROOT = join(__dirname, '..', '..');
const PYTHON_SIDE = join(ROOT, 'bench', 'python', 'queues.py');
const REPORT = join(ROOT, 'reports', 'bench-queues.md');
/** The interpreter itself: `python3` may be a version manager's shell script, whose helpers would be sampled as processes of the tree. */
let python = 'python3';

const { values, positionals } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    side: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const REPS = Number(values.reps);
const QUICK = values.quick;

type Metric = 'queueThroughput' | 'pipeThroughput' | 'queueRoundTrip' | 'pipeRoundTrip' | 'bounded';
const METRICS: Metric[] = ['queueThroughput', 'pipeThroughput', 'queueRoundTrip', 'pipeRoundTrip', 'bounded'];
const WARM_UP = 200;
const MAXSIZE = 1000;
const PLAN: Record<Metric, { n: number; reps: number }> = {
  queueThroughput: { n: QUICK ? 20_000 : 200_000, reps: REPS },
  pipeThroughput: { n: QUICK ? 20_000 : 200_000, reps: REPS },
  queueRoundTrip: { n: QUICK ? 500 : 2000, reps: Math.max(REPS, 5) },
  pipeRoundTrip: { n: QUICK ? 500 : 2000, reps: Math.max(REPS, 5) },
  bounded: { n: QUICK ? 100_000 : 1_000_000, reps: REPS },
};

interface Peak {
  rssStartKb: number;
  hwmKb: number;
}
/** One round, as both sides print it: the timed stretch in ns, over `n` items or round trips. */
interface Round {
  ns: number;
  n: number;
  parent: Peak;
  producer: (Peak & { pid: number }) | null;
}

const now = (): number => Number(process.hrtime.bigint());

// --- ours: the parent side, run as `node dist/bench/queues.js --side METRIC REPS N` -------------

function check(got: Json, expected: number): void {
  if (got !== expected) {
    throw new Error(`expected item ${expected}, got ${JSON.stringify(got)}: an item was lost, duplicated or reordered`);
  }
}

/** Gets the producer's n integers in order, timed from the first to the last; then its figures. */
async function receiveAll(get: () => Promise<Json>, n: number): Promise<{ ns: number; figures: Peak }> {
  check(await get(), 0); // waits for the child to start: not timed
  const begin = now();
  for (let i = 1; i < n; i++) check(await get(), i);
  const end = now();
  const figures = await get();
  if (typeof figures !== 'object' || figures === null || Array.isArray(figures)) {
    throw new Error(`after ${n} items, expected the producer's figures, got ${JSON.stringify(figures)}`);
  }
  return { ns: end - begin, figures: figures as unknown as Peak };
}

async function roundTrips(send: (item: number) => Promise<void>, receive: () => Promise<Json>, n: number): Promise<number> {
  for (let i = 0; i < WARM_UP; i++) {
    // The first waits for the child to start.
    await send(i);
    check(await receive(), i);
  }
  const begin = now();
  for (let i = 0; i < n; i++) {
    await send(i);
    check(await receive(), i);
  }
  return now() - begin;
}

async function withChild<T>(child: Process, body: () => Promise<T>): Promise<T> {
  child.start();
  // The spare child that start() boots next would compete for the CPUs with the loops measured.
  await stopStandby();
  try {
    const result = await body();
    await child.join({ timeout: 120_000 });
    if (child.exitCode !== 0) throw new Error(`${child.name} ended with exit code ${String(child.exitCode)}`);
    return result;
  } finally {
    if (child.pid !== null && child.exitCode === null) {
      child.kill();
      await child.join();
    }
  }
}

async function ourRound(metric: Metric, n: number): Promise<Round> {
  const rssStartKb = memory().rssKb;
  let ns: number;
  let timed = n;
  let producer: Round['producer'] = null;
  switch (metric) {
    case 'queueThroughput':
    case 'bounded': {
      const queue = new Queue(metric === 'bounded' ? MAXSIZE : 0);
      const child = new Process({ target: produce, args: [queue, n] });
      const got = await withChild(child, () => receiveAll(() => queue.get(), n));
      ({ ns } = got);
      producer = { pid: child.pid!, ...got.figures };
      timed = n - 1;
      break;
    }
    case 'pipeThroughput': {
      const [r, w] = Pipe(false);
      const child = new Process({ target: sendAll, args: [w, n] });
      const got = await withChild(child, () => {
        w.close();
        return receiveAll(() => r.recv(), n);
      });
      ({ ns } = got);
      producer = { pid: child.pid!, ...got.figures };
      timed = n - 1;
      break;
    }
    case 'queueRoundTrip': {
      const there = new Queue();
      const back = new Queue();
      const child = new Process({ target: echoQueue, args: [there, back, WARM_UP + n] });
      ns = await withChild(child, () =>
        roundTrips(
          (i) => there.put(i),
          () => back.get(),
          n,
        ),
      );
      break;
    }
    case 'pipeRoundTrip': {
      const [mine, theirs] = Pipe();
      const child = new Process({ target: echoPipe, args: [theirs, WARM_UP + n] });
      ns = await withChild(child, () => {
        theirs.close();
        return roundTrips(
          (i) => mine.send(i),
          () => mine.recv(),
          n,
        );
      });
      break;
    }
  }
  return { ns, n: timed, parent: { rssStartKb, hwmKb: memory().hwmKb }, producer };
}

async function side(metric: Metric, reps: number, n: number): Promise<void> {
  const rounds: Round[] = [];
  for (let i = 0; i < reps; i++) rounds.push(await ourRound(metric, n));
  process.stdout.write(JSON.stringify(rounds) + '\n');
}

// --- running a side, and sampling its processes ------------------------------------------------

interface Sampled {
  name: string;
  rssKb: number;
  hwmKb: number;
}

/** The pids of `pid`'s descendants, from every thread's children file. */
function descendants(pid: number): number[] {
  const found: number[] = [];
  const visit = (p: number): void => {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tids) {
      let children = '';
      try {
        children = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.split(' ').filter(Boolean).map(Number)) {
        found.push(c);
        visit(c);
      }
    }
  };
  visit(pid);
  return found;
}

/** Keeps, per pid of the tree, the largest VmRSS and VmHWM seen. */
function sample(root: number, into: Map<number, Sampled>): void {
  for (const pid of [root, ...descendants(root)]) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s*(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    let name = /^Name:\s*(.*)$/m.exec(status)?.[1] ?? '?';
    try {
      name = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(0, 3).join(' ').slice(0, 80) || name;
    } catch {
      // ended meanwhile: keep the short name
    }
    const seen = into.get(pid) ?? { name, rssKb: 0, hwmKb: 0 };
    seen.rssKb = Math.max(seen.rssKb, field('VmRSS'));
    seen.hwmKb = Math.max(seen.hwmKb, field('VmHWM'));
    into.set(pid, seen);
  }
}

type Contender = 'ours' | 'fork' | 'spawn';
/** A side's parent process that runs longer is killed, its children first. */
const SIDE_LIMIT_MS = 150_000;

/** Runs one parent process of `who` for `reps` rounds; samples its tree if `watch`. */
function runSide(
  who: Contender,
  metric: Metric,
  reps: number,
  watch: boolean,
): Promise<{ rounds: Round[]; sampled: Map<number, Sampled>; pid: number }> {
  const { n } = PLAN[metric];
  const [command, args] =
    who === 'ours'
      ? [process.execPath, [__filename, '--side', metric, String(reps), String(n)]]
      : [python, [PYTHON_SIDE, metric, who, String(reps), String(n)]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const sampled = new Map<number, Sampled>();
    const timer = watch ? setInterval(() => child.pid !== undefined && sample(child.pid, sampled), 10) : null;
    // A side that hangs is killed with its children first: a child blocked in put() outlives a killed parent.
    const limit = setTimeout(() => {
      for (const pid of child.pid === undefined ? [] : descendants(child.pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // ended meanwhile
        }
      }
      child.kill('SIGKILL');
    }, SIDE_LIMIT_MS);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearInterval(timer);
      clearTimeout(limit);
      if (code !== 0) reject(new Error(`${who} ${metric}: the parent process exited with ${String(code ?? signal)}`));
      else resolve({ rounds: JSON.parse(out) as Round[], sampled, pid: child.pid! });
    });
  });
}

/** Peaks of one measure-3 round: the round's own figures, raised by what sampling saw. */
interface Peaks {
  parentKb: number;
  parentStartKb: number;
  producerKb: number;
  producerStartKb: number;
  others: string[];
}

async function measure(who: Contender, metric: Metric): Promise<{ rounds: Round[]; peaks: Peaks[] }> {
  const { reps } = PLAN[metric];
  if (metric !== 'bounded') return { rounds: (await runSide(who, metric, reps, false)).rounds, peaks: [] };
  const rounds: Round[] = [];
  const peaks: Peaks[] = [];
  for (let i = 0; i < reps; i++) {
    const {
      rounds: [round],
      sampled,
      pid: parentPid,
    } = await runSide(who, metric, 1, true);
    const producerPid = round!.producer!.pid;
    const others = [...sampled].filter(([pid]) => pid !== producerPid && pid !== parentPid);
    peaks.push({
      parentKb: Math.max(round!.parent.hwmKb, sampled.get(parentPid)?.hwmKb ?? 0),
      parentStartKb: round!.parent.rssStartKb,
      producerKb: Math.max(round!.producer!.hwmKb, sampled.get(producerPid)?.hwmKb ?? 0),
      producerStartKb: round!.producer!.rssStartKb,
      others: others.map(([, s]) => `${s.name} ${(s.hwmKb / 1024).toFixed(0)} MB`),
    });
    rounds.push(round!);
  }
  return { rounds, peaks };
}

// --- figures -----------------------------------------------------------------------------------

interface Figure {
  value: number;
  /** Shown beside the median: e.g. the spread of the rounds. */
  note?: string;
}

const spreadNote = (xs: number[], digits: number): string =>
  xs.length > 1 ? `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}` : '';

function figure(xs: number[], digits: number, extra?: string): Figure {
  const notes = [spreadNote(xs, digits), extra].filter(Boolean);
  return { value: median(xs), note: notes.length > 0 ? notes.join('; ') : undefined };
}

type Row = {
  /** Short name, for the run-by-run table. */
  key: string;
  label: string;
  unit: string;
  /** 'higher' for rates, 'lower' for times and memory. */
  better: 'higher' | 'lower';
  digits: number;
  ours: Figure;
  fork: Figure;
  spawn?: Figure;
};

const rate = (r: Round): number => r.n / (r.ns / 1e9);
const perTripUs = (r: Round): number => r.ns / 1000 / r.n;
const mb = (kb: number): number => kb / 1024;

const cell = (f: Figure, digits: number): string => f.value.toFixed(digits) + (f.note ? ` (${f.note})` : '');
const ratio = (a: Figure, b: Figure | undefined): string => (b && b.value > 0 ? (a.value / b.value).toFixed(2) : '—');

function table(rows: Row[]): string {
  const lines = [
    '| measure | unit | better | ours | CPython fork | ours ÷ fork | CPython spawn | ours ÷ spawn |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const spawnCell = r.spawn ? cell(r.spawn, r.digits) : '—';
    lines.push(
      `| ${r.label} | ${r.unit} | ${r.better} | ${cell(r.ours, r.digits)} | ${cell(r.fork, r.digits)} | ${ratio(r.ours, r.fork)} | ${spawnCell} | ${ratio(r.ours, r.spawn)} |`,
    );
  }
  return lines.join('\n');
}

const k = (n: number): string => `${n / 1000}k`;

type Results = Map<Metric, Partial<Record<Contender, { rounds: Round[]; peaks: Peaks[] }>>>;

/** The history section of the report: one line of ratios (ours ÷ CPython fork) per run, newest first. */
const HISTORY_HEADING = '## Ratios run by run (ours ÷ CPython fork; newest first)';
const HISTORY_KEPT = 6;

/** The lines of earlier runs, read back from the report this bench wrote last (none if it is missing). */
function earlierRuns(): string[] {
  let old: string;
  try {
    old = readFileSync(REPORT, 'utf8');
  } catch {
    return [];
  }
  const at = old.indexOf(HISTORY_HEADING);
  if (at < 0) return [];
  return old
    .slice(at)
    .split('\n')
    .filter((line) => /^\| \d{4}-\d\d-\d\d /.test(line));
}

function history(rows: Row[], loadBefore: number[], loadAfter: number[]): { text: string; spread: string } {
  const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const line = `| ${stamp} | ${loadBefore[0]!.toFixed(1)} → ${loadAfter[0]!.toFixed(1)} | ${rows.map((r) => ratio(r.ours, r.fork)).join(' | ')} |`;
  const lines = [line, ...earlierRuns()].slice(0, HISTORY_KEPT);
  const text = [
    HISTORY_HEADING,
    '',
    `| run (UTC) | load, 1 min, before → after | ${rows.map((r) => r.key).join(' | ')} |`,
    `| --- | --- | ${rows.map(() => '---:').join(' | ')} |`,
    ...lines,
  ].join('\n');
  // The spread of each ratio over the runs kept: what one run's ratio is worth.
  const cells = lines.map((l) =>
    l
      .split('|')
      .slice(3, 3 + rows.length)
      .map((c) => Number(c.trim())),
  );
  const spread = rows
    .map((_, i) => {
      const xs = cells.map((c) => c[i]!).filter((x) => Number.isFinite(x));
      return xs.length > 0 ? `${rows[i]!.key} ${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}` : '';
    })
    .filter(Boolean)
    .join(', ');
  return { text, spread: `over the ${lines.length} run(s) in it: ${spread}` };
}

async function main(): Promise<void> {
  const began = performance.now();
  python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
  const loadBefore = loadavg();
  const results: Results = new Map();
  for (const metric of METRICS) {
    // Ours then CPython for each measure, so a change of load on the machine hits both alike.
    const contenders: Contender[] = metric.endsWith('RoundTrip') ? ['ours', 'fork', 'spawn'] : ['ours', 'fork'];
    const got: Partial<Record<Contender, { rounds: Round[]; peaks: Peaks[] }>> = {};
    for (const who of contenders) got[who] = await measure(who, metric);
    results.set(metric, got);
    process.stderr.write(`  ${metric}: done (${((performance.now() - began) / 1000).toFixed(0)} s)\n`);
  }
  const loadAfter = loadavg();
  const seconds = (performance.now() - began) / 1000;

  const rows: Row[] = [];
  const row = (
    metric: Metric,
    key: string,
    label: string,
    unit: string,
    better: Row['better'],
    digits: number,
    of: (r: Round) => number,
  ): void => {
    const got = results.get(metric)!;
    const fig = (who: Contender): Figure | undefined => got[who] && figure(got[who].rounds.map(of), digits);
    rows.push({ key, label, unit, better, digits, ours: fig('ours')!, fork: fig('fork')!, spawn: fig('spawn') });
  };
  const thousands = (r: Round): number => rate(r) / 1000;
  row('queueThroughput', '1a', `1a. throughput, Queue, ${k(PLAN.queueThroughput.n)} ints`, 'k items/s', 'higher', 1, thousands);
  row('pipeThroughput', '1b', `1b. throughput, one-way Pipe, ${k(PLAN.pipeThroughput.n)} ints`, 'k items/s', 'higher', 1, thousands);
  row('queueRoundTrip', '2a', '2a. round trip, two Queues', 'µs', 'lower', 1, perTripUs);
  row('pipeRoundTrip', '2b', '2b. round trip, duplex Pipe', 'µs', 'lower', 1, perTripUs);
  row('bounded', '3 rate', `3. throughput, Queue(${MAXSIZE}), ${k(PLAN.bounded.n)} ints`, 'k items/s', 'higher', 1, thousands);
  const bounded = results.get('bounded')!;
  const memoryRow = (key: string, label: string, of: (p: Peaks) => number, start: (p: Peaks) => number): void => {
    const fig = (who: Contender): Figure => {
      const peaks = bounded[who]!.peaks;
      return figure(
        peaks.map((p) => mb(of(p))),
        1,
        `at start ${mb(median(peaks.map(start))).toFixed(1)}`,
      );
    };
    rows.push({ key, label, unit: 'MB peak RSS', better: 'lower', digits: 1, ours: fig('ours'), fork: fig('fork') });
  };
  memoryRow(
    '3 producer',
    '3. producer (CPython: with its feeder thread)',
    (p) => p.producerKb,
    (p) => p.producerStartKb,
  );
  memoryRow(
    '3 parent',
    '3. parent (the consumer)',
    (p) => p.parentKb,
    (p) => p.parentStartKb,
  );
  const othersSeen = (who: Contender): string => [...new Set(bounded[who]!.peaks.flatMap((p) => p.others))].join(', ') || 'none';
  const others = `ours: ${othersSeen('ours')}; CPython fork: ${othersSeen('fork')}`;

  const text = table(rows);
  const runs = history(rows, loadBefore, loadAfter);
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  console.log(`\nQueues and pipes across processes: medians (min–max of the rounds in brackets)\n`);
  console.log(text);
  console.log(`\nother processes of 3's tree: ${others}`);
  console.log(`ratios (ours ÷ CPython fork) ${runs.spread}`);
  console.log(`load average ${load(loadBefore)} before, ${load(loadAfter)} after; ${cpus().length} CPUs; ${seconds.toFixed(0)} s`);
  if (QUICK) {
    console.log('--quick: reports/bench-queues.md left as it was (it keeps full runs only)');
    return;
  }
  writeFileSync(REPORT, report(text, rows, results, others, runs, loadBefore, loadAfter, seconds));
  console.log('wrote reports/bench-queues.md');
}

function report(
  text: string,
  rows: Row[],
  results: Results,
  others: string,
  runs: { text: string; spread: string },
  loadBefore: number[],
  loadAfter: number[],
  seconds: number,
): string {
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(', ');
  const version = execFileSync(python, ['--version'], { encoding: 'utf8' }).trim();
  return [
    '# Queues and pipes across processes: ours beside CPython',
    '',
    `Written by \`npm run bench:queues\` (bench/queues.ts) on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${version},`,
    `${cpus().length} CPUs, load average (1, 5, 15 min) ${load(loadBefore)} before and ${load(loadAfter)} after; ${seconds.toFixed(0)} s.`,
    `Medians of ${PLAN.queueThroughput.reps} rounds (1, 3) and ${PLAN.queueRoundTrip.reps} rounds (2), the smallest and largest in`,
    'brackets; each measure runs in a fresh parent process per side (measure 3: one per round), every',
    'round in a fresh child. "better" says which way is good; ratios are ours\' figure ÷ CPython\'s.',
    'Figures move ±30 % from run to run on this machine, more when it is loaded: compare the ratios of',
    'one run, and see the last section for how much those move between runs.',
    ...(Math.max(loadBefore[0]!, loadAfter[0]!) > cpus().length
      ? [
          '',
          `This run shared the machine: the load average passed its ${cpus().length} CPUs, so every process waited for a`,
          'CPU now and then; the round trips (2), where each side waits for the other, swing most.',
        ]
      : []),
    '',
    text,
    '',
    `Other processes of measure 3's tree, with their peaks: ${others}.`,
    '',
    ...explanation(rows, results),
    '',
    runs.text,
    '',
    `Spread of each ratio ${runs.spread}.`,
    '',
  ].join('\n');
}

/** Joins `text` and breaks it into lines of at most `width` characters, at spaces. */
function wrap(text: string, width = 104): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

function explanation(rows: Row[], results: Results): string[] {
  const [queueRate, pipeRate, queueTrip, pipeTrip, boundedRate, producerMem, parentMem] = rows as [Row, Row, Row, Row, Row, Row, Row];
  const r = (row: Row): number => row.ours.value / row.fork.value;
  const x = (row: Row): string => `${r(row).toFixed(2)} x`;
  const verdict = (row: Row, ok: boolean): string => `${ok ? 'met' : 'not met'} (${x(row)} CPython fork)`;
  const grew = (p: Peak): number => mb(p.hwmKb - p.rssStartKb);
  // 1a, round by round: the rate against how far the producer's resident set grew (its backlog).
  const backlog = (who: Contender): string => {
    const rounds = results.get('queueThroughput')![who]!.rounds;
    return rounds.map((round) => `${(rate(round) / 1000).toFixed(0)}k/s at +${grew(round.producer!).toFixed(0)} MB`).join(', ');
  };
  // Did the producer pile up a backlog (tens of MB) in any of ours' rounds?
  const backedUp = results.get('queueThroughput')!.ours!.rounds.some((round) => grew(round.producer!) > 25);
  const startOf = (f: Figure): number => Number(/at start ([\d.]+)/.exec(f.note ?? '')?.[1]);
  const growth = (row: Row): string =>
    `+${(row.ours.value - startOf(row.ours)).toFixed(1)} MB over its start against CPython's +${(row.fork.value - startOf(row.fork)).toFixed(1)} MB`;
  // The parent of 2a moved a few thousand items only: what its peak says about where the growth comes from.
  const tripParent = mb(median(results.get('queueRoundTrip')!.ours!.rounds.map((round) => round.parent.hwmKb)));
  const losesTrips = r(queueTrip) > 1 || r(pipeTrip) > 1;
  const paragraph = [
    `Goals: throughput at least 2 x CPython's Queue: ${verdict(queueRate, r(queueRate) >= 2)}; a round trip no`,
    `slower than CPython's: through two Queues ${verdict(queueTrip, r(queueTrip) <= 1)}, through a duplex Pipe`,
    `${verdict(pipeTrip, r(pipeTrip) <= 1)}.`,
    'A stream of items is where ours does well: the producer writes each JSON-encoded item into the 1 MiB',
    'shared ring under a write lock that is free almost every time (one compare-and-swap) and the parent',
    'copies it out and parses it, with no system call per item while the ring is neither empty nor full,',
    "where CPython's Queue pickles each item in a feeder thread, writes it to an OS pipe with a length",
    'prefix, and the getter reads and unpickles it under a lock, system calls on both sides; its Pipe',
    `skips the feeder (1b: ours ${x(pipeRate)} its rate; 3, bounded: ${x(boundedRate)}).`,
    'The unbounded Queue (1a) can swing most: when the producer gets ahead of the parent, `put()` leaves',
    'the items in an array that the pump empties with `Array.prototype.shift()`, which V8 makes cost the',
    'length of the array once it is large (0.3 µs per shift at 1,000 items, 390 µs at 200,000 in a micro',
    "test), so the pump falls behind and the rate drops several times, in rounds that the producer's",
    'resident set growing by tens of MB (one `Uint8Array` per waiting item) gives away;',
    `${backedUp ? 'this run had such rounds' : 'this run had none'} (ours, round by round: ${backlog('ours')}; CPython: ${backlog('fork')}).`,
    'In a scratch copy of dist/ (2026-11-27), an index into the array instead of `shift()` made 200k',
    'items take 1.06-1.18 s (170-190k/s) in every round, against 1.5-7.7 s before in the same minutes.',
    `The round trips (2) ${losesTrips ? 'are where ours loses' : 'went our way in this run, but are where ours is weakest'}:`,
    'each item finds the other side waiting, and a waiting `get()`/`recv()` spins 50 µs on the ring,',
    'then creates a thread that sleeps in the futex and comes back through a thread-safe function and',
    'libuv to the event loop, on both sides of every trip, where CPython blocks in `read()` on the',
    'calling thread. In the same scratch copy, with the spin cut to 0 and the futex wait made on the main',
    "thread (a synchronous addon call), the Pipe round trip fell from 120-320 µs to 45-90 µs and the Queues'",
    'to 38-72 µs (CPython fork then 17-37 and 48-112 µs); the thread path alone, without the spin, was',
    'worse (160-320 µs), and the spin with a main-thread wait barely helped (140-200 µs): on two loaded',
    'CPUs the spinner takes the CPU that the other side needs. So these ratios follow the load most',
    '(see the runs below): a shorter run (--quick) at a load of 2.7 on 2026-11-27 had 0.96 and 1.60.',
    "Memory (3): the bounded queue keeps both sides flat. Ours' peaks are Node's own footprint (about",
    `${startOf(producerMem.ours).toFixed(0)} MB at start) and what loading the library, starting a child and a first few`,
    `thousand items add, not the million: the parent of 2a reached ${tripParent.toFixed(1)} MB after ${WARM_UP + PLAN.queueRoundTrip.n} round trips.`,
    `Producer ${x(producerMem)} CPython's peak, ${growth(producerMem)};`,
    `parent ${x(parentMem)}, ${growth(parentMem)}.`,
    "What would close the gaps: a ring buffer or head index for the unbounded Queue's backlog instead",
    'of `shift()` (1a); for the round trips, a blocking `getSync()`/`recvSync()` that sleeps in the futex',
    'on the main thread, as CPython does, for a child with nothing else on its event loop, else a waiter',
    'thread that lives as long as the ring, with one thread-safe function made once, and a spin of a few',
    'µs, or none when the runnable processes outnumber the CPUs; for throughput, a batched read (every',
    'published frame under one read lock) and parsing straight from the ring without the extra copy.',
    "The memory gap is Node's baseline and stays.",
  ].join(' ');
  return ['## What the numbers mean', '', ...wrap(paragraph)];
}

if (values.side) {
  const [metric, reps, n] = positionals as [Metric, string, string];
  side(metric, Number(reps), Number(n)).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(
        `bench/queues --side ${metric} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`bench/queues failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
