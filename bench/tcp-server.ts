/**
 * `npm run bench:server` (also part of `npm run bench`): the echo server with a process per
 * connection, ours (src/tcp-server.ts) beside CPython's multiprocessing under fork, spawn and
 * forkserver, in the same run, driven by the same Node client (src/tcp-client.ts) on loopback.
 * Three measures:
 *
 *   1. connection rate, one at a time: connect, one echo ('hello' -> 'HELLO'), close, wait for the
 *      server to close its side (the handler's end); connections per second;
 *   2. connection rate, CONCURRENT clients at a time, each doing the same in a loop;
 *   3. echo round trip on an open connection (its handler already running): µs per line echoed,
 *      median and 99th percentile, after WARM_UP untimed ones.
 *
 * Each server is the fixture program echoServer (fixtures/ts/programs/echoServer.ts on our
 * TcpServer, fixtures/python/programs/echoServer.py: the seeds' server with their bugs fixed, start
 * method from KIT_START_METHOD), started fresh for every round and stopped through its gate file;
 * a round fails unless every reply is right and the program exits 0 with nothing left below it.
 * Contenders take turns round by round, so a change of load hits all alike. Figures move ±30 % from
 * run to run here, more on a loaded machine: compare the ratios of one run. The table goes to stdout
 * and to reports/bench-server.md. Options: --rounds N (default 3), --quick (fewer connections; prints only).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { TcpClient } from '../src';
import { descendants } from '../spec/harness/proc';
import { median } from '../spec/harness/yardstick';

const ROOT = join(__dirname, '..', '..');
const REPORT = join(ROOT, 'reports', 'bench-server.md');
const OURS = join(ROOT, 'dist', 'fixtures', 'ts', 'programs', 'echoServer.js');
const PYTHON_SERVER = join(ROOT, 'fixtures', 'python', 'programs', 'echoServer.py');

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, quick: { type: 'boolean', default: false } } });
const ROUNDS = Number(values.rounds);
const QUICK = values.quick;
const SEQUENTIAL = QUICK ? 10 : 40;
const CONCURRENT = 8;
const PER_CLIENT = QUICK ? 3 : 10;
const TRIPS = QUICK ? 200 : 1000;
const WARM_UP = 100;
/** A round that takes longer is a failure (a server that stopped answering), not a figure. */
const ROUND_LIMIT_MS = 300_000;

/**
 * `bare`: ours again, with NODE_EXTRA_CA_CERTS removed from the server's environment (so from its
 * handlers'): Node reads that file at every boot, and where it is set (as here) that is about half
 * of what a handler's start costs. Shown beside, not instead: a user's handlers see their environment.
 */
type Contender = 'ours' | 'bare' | 'fork' | 'spawn' | 'forkserver';
const CONTENDERS: Contender[] = ['ours', 'bare', 'fork', 'spawn', 'forkserver'];
const LABEL: Record<Contender, string> = {
  ours: 'ours',
  bare: 'ours without NODE_EXTRA_CA_CERTS',
  fork: 'CPython fork',
  spawn: 'CPython spawn',
  forkserver: 'CPython forkserver',
};
const SHORT: Record<Contender, string> = { ours: 'ours', bare: 'bare', fork: 'fork', spawn: 'spawn', forkserver: 'forkserver' };

interface Round {
  sequentialPerS: number;
  concurrentPerS: number;
  tripUs: number;
  tripP99Us: number;
}

/** One server program, listening: its port, and how to stop it. */
interface Running {
  port: number;
  stop(): Promise<void>;
}

/** The interpreter itself: `python3` may be a version manager's shell script. */
let python = 'python3';

async function startServer(who: Contender, folder: string, round: number): Promise<Running> {
  const gate = join(folder, `stop-${who}-${round}`);
  const node = who === 'ours' || who === 'bare';
  const [command, args] = node ? [process.execPath, [OURS, gate]] : [python, [PYTHON_SERVER, gate]];
  // No KIT_OBSERVE_FILE: the handlers' records are dropped, on both sides alike.
  const env: NodeJS.ProcessEnv = { ...process.env, ...(node ? {} : { KIT_START_METHOD: who }) };
  delete env.KIT_OBSERVE_FILE;
  if (who === 'bare') delete env.NODE_EXTRA_CA_CERTS;
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? String(signal))));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const m = /^\{"port": ?(\d+)\}$/m.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`${LABEL[who]}: the server exited (${code}) before listening`)));
  });
  return {
    port,
    stop: async () => {
      writeFileSync(gate, '');
      const code = await Promise.race([exited, sleep(30_000).then(() => 'still running 30 s after its stop gate')]);
      const left = child.pid === undefined ? [] : descendants(child.pid);
      if (code !== 0 || left.length > 0) {
        endTree(child);
        throw new Error(`${LABEL[who]}: the server ended with ${code}, leaving ${left.length} process(es) behind`);
      }
    },
  };
}

function endTree(child: ChildProcess): void {
  for (const p of child.pid === undefined ? [] : descendants(child.pid)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  child.kill('SIGKILL');
}

/** Connect, one echo, close (and the server's side closed too): the unit of measures 1 and 2. */
async function oneConnection(port: number, i: number): Promise<void> {
  const client = await TcpClient.connect({ port });
  try {
    const reply = await client.request(`hello ${i}`);
    if (reply !== `HELLO ${i}`) throw new Error(`connection ${i}: expected 'HELLO ${i}', got ${JSON.stringify(reply)}`);
    await client.finish();
  } finally {
    client.destroy();
  }
}

async function connectionsPerS(port: number, clients: number, each: number): Promise<number> {
  const began = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < each; i++) await oneConnection(port, c * each + i);
    }),
  );
  return (clients * each) / ((performance.now() - began) / 1000);
}

async function roundTrips(port: number): Promise<number[]> {
  const client = await TcpClient.connect({ port });
  try {
    const times: number[] = [];
    for (let i = 0; i < WARM_UP + TRIPS; i++) {
      const began = process.hrtime.bigint();
      const reply = await client.request('hello');
      if (reply !== 'HELLO') throw new Error(`round trip ${i}: expected 'HELLO', got ${JSON.stringify(reply)}`);
      if (i >= WARM_UP) times.push(Number(process.hrtime.bigint() - began) / 1000);
    }
    await client.finish();
    return times;
  } finally {
    client.destroy();
  }
}

async function measureRound(who: Contender, folder: string, round: number): Promise<Round> {
  const server = await startServer(who, folder, round);
  try {
    // A first connection outside the figures: ours' first handler boots without a spare ready,
    // CPython's forkserver starts its server process.
    await oneConnection(server.port, -1);
    const sequentialPerS = await connectionsPerS(server.port, 1, SEQUENTIAL);
    const concurrentPerS = await connectionsPerS(server.port, CONCURRENT, PER_CLIENT);
    const trips = await roundTrips(server.port);
    const sorted = [...trips].sort((a, b) => a - b);
    return { sequentialPerS, concurrentPerS, tripUs: median(trips), tripP99Us: sorted[Math.ceil(sorted.length * 0.99) - 1]! };
  } finally {
    await server.stop();
  }
}

interface Figure {
  value: number;
  low: number;
  high: number;
}

const figure = (xs: number[]): Figure => ({ value: median(xs), low: Math.min(...xs), high: Math.max(...xs) });
const show = (f: Figure, digits: number): string =>
  `${f.value.toFixed(digits)}${f.low === f.high ? '' : ` (${f.low.toFixed(digits)}–${f.high.toFixed(digits)})`}`;

interface Row {
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  digits: number;
  of: (r: Round) => number;
}

const ROWS: Row[] = [
  { label: '1. connections, one at a time', unit: 'per s', better: 'higher', digits: 1, of: (r) => r.sequentialPerS },
  { label: `2. connections, ${CONCURRENT} clients at a time`, unit: 'per s', better: 'higher', digits: 1, of: (r) => r.concurrentPerS },
  { label: '3. echo round trip, median', unit: 'µs', better: 'lower', digits: 0, of: (r) => r.tripUs },
  { label: '3. echo round trip, 99th percentile', unit: 'µs', better: 'lower', digits: 0, of: (r) => r.tripP99Us },
];

function table(results: Record<Contender, Round[]>): string {
  const others = CONTENDERS.filter((c) => c !== 'ours');
  const lines = [
    `| measure | unit | better | ours | ${others.map((c) => `${LABEL[c]} | ours ÷ ${SHORT[c]}`).join(' | ')} |`,
    `| --- | --- | --- | ---: | ${others.map(() => '---: | ---:').join(' | ')} |`,
  ];
  for (const row of ROWS) {
    const fig = (who: Contender): Figure => figure(results[who].map(row.of));
    const ours = fig('ours');
    const cells = others.map((c) => `${show(fig(c), row.digits)} | ${(ours.value / fig(c).value).toFixed(2)}`);
    lines.push(`| ${row.label} | ${row.unit} | ${row.better} | ${show(ours, row.digits)} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const began = performance.now();
  python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
  if (!existsSync(OURS)) throw new Error(`${OURS} is missing: run npm run build first`);
  const folder = mkdtempSync(join(tmpdir(), 'mp-kit-bench-server-'));
  const loadBefore = loadavg();
  const results: Record<Contender, Round[]> = { ours: [], bare: [], fork: [], spawn: [], forkserver: [] };
  const limit = setTimeout(
    () => {
      process.stderr.write(`bench/tcp-server: a round ran longer than ${ROUND_LIMIT_MS} ms\n`);
      process.exit(1);
    },
    ROUND_LIMIT_MS * ROUNDS * CONTENDERS.length,
  );
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const who of CONTENDERS) {
        results[who].push(await measureRound(who, folder, round));
        process.stderr.write(`  round ${round + 1}/${ROUNDS} ${LABEL[who]}: done (${((performance.now() - began) / 1000).toFixed(0)} s)\n`);
      }
    }
  } finally {
    clearTimeout(limit);
    rmSync(folder, { recursive: true, force: true });
  }
  const loadAfter = loadavg();
  const seconds = (performance.now() - began) / 1000;
  const text = table(results);
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(', ');
  console.log(`\nEcho server, a process per connection: medians of ${ROUNDS} rounds (min–max in brackets)\n`);
  console.log(text);
  const rate = (who: Contender): number => median(results[who].map((r) => r.sequentialPerS));
  const verdict =
    `goal "at least CPython spawn's connection rate": ${rate('ours') >= rate('spawn') ? 'met' : 'not met'} ` +
    `(one at a time: ours ${rate('ours').toFixed(1)}/s, without NODE_EXTRA_CA_CERTS ${rate('bare').toFixed(1)}/s, spawn ${rate('spawn').toFixed(1)}/s)`;
  console.log(`\n${verdict}`);
  console.log(`load average ${load(loadBefore)} before, ${load(loadAfter)} after; ${cpus().length} CPUs; ${seconds.toFixed(0)} s`);
  if (QUICK) {
    console.log('--quick: reports/bench-server.md left as it was (it keeps full runs only)');
    return;
  }
  writeFileSync(REPORT, report(text, verdict, loadBefore, loadAfter, seconds));
  console.log('wrote reports/bench-server.md');
}

function report(text: string, verdict: string, loadBefore: number[], loadAfter: number[], seconds: number): string {
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(', ');
  const version = execFileSync(python, ['--version'], { encoding: 'utf8' }).trim();
  const busy = Math.max(loadBefore[0]!, loadAfter[0]!) > cpus().length;
  return [
    '# The echo server, a process per connection: ours beside CPython',
    '',
    `Written by \`npm run bench:server\` (bench/tcp-server.ts) on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${version},`,
    `${cpus().length} CPUs, load average (1, 5, 15 min) ${load(loadBefore)} before and ${load(loadAfter)} after; ${seconds.toFixed(0)} s.`,
    `Medians of ${ROUNDS} rounds, the smallest and largest in brackets; every round starts a fresh server program`,
    '(fixtures/\\*/programs/echoServer) and drives it with the same Node client on loopback. Measure 1 is',
    `${SEQUENTIAL} connections one after another, 2 is ${CONCURRENT} clients making ${PER_CLIENT} each at once, 3 is ${TRIPS} lines echoed on`,
    'one open connection. A connection is connect, one line echoed, close, and the server closing its side.',
    '"better" says which way is good; ratios are ours\' figure ÷ CPython\'s.',
    ...(busy
      ? [
          '',
          `This run shared the machine: the load average passed its ${cpus().length} CPUs; rerun on a quiet one before`,
          'reading much into the ratios.',
        ]
      : []),
    '',
    text,
    '',
    `${verdict[0]!.toUpperCase()}${verdict.slice(1)}.`,
    '',
    '## What the numbers mean',
    '',
    'Every connection costs a new process, and what a new process costs decides measures 1 and 2.',
    "CPython's fork copies a running interpreter (a few ms); spawn starts a fresh interpreter, imports",
    'multiprocessing and unpickles the handler (the socket goes as a duplicated descriptor); forkserver',
    'forks from a server process it started once. Ours boots a fresh Node for every handler (the',
    'child is the compiled bootstrap): 35 to 150 ms of CPU here, about half of it reading the CA',
    'certificates named by NODE_EXTRA_CA_CERTS, which this machine sets (the "without" column shows',
    'ours with it unset, as most machines run). The standby child (src/standby.ts) hides that boot',
    'when connections come one at a time, slower than a boot; one after another, as in measure 1, the',
    'next connection usually finds the spare still booting and waits for part of a boot. With several',
    "clients at once (2), the boots compete for the CPUs, as spawn's interpreters do.",
    'The round trip (3) is one line through an already running handler: both sides are a socket',
    'read, an upper-casing and a write, so the figures are close; the client is the same Node code.',
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/tcp-server failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
