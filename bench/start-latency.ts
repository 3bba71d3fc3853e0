/**
 * `npm run bench` (first part; issue 13): start latency, from just before start() until the
 * child's first observation, of ours beside CPython's fork, forkserver and spawn, in the same run
 * through the same adapter contract, at three paces (bench/start-paces.ts: 200 ms apart, back to
 * back, bursts of os.availableParallelism() starts), against the limit of sustained Node starts
 * (bench/bare-node-boot.ts: a bare Node boot's CPU time ÷ cores). Everything runs twice: unloaded,
 * then beside 2 busy processes per core (bench/cpu-load.ts). Prints the tables and writes
 * reports/bench.md with a chart of the samples (reports/bench-start-latency.svg).
 * Figures move ±30 % from run to run on these machines: compare only the ratios of one run.
 * Options: --runs N (samples per pace, default 20), --no-load (skip the loaded rows),
 * --output DIR (default reports/). A full run takes minutes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import cpython from '../spec/adapters/cpython';
import { DEFAULT_PYTHON } from '../spec/adapters/cpython-agent';
import ours from '../spec/adapters/ours';
import { REPO_ROOT } from '../spec/harness/paths';
import { measureBareBoots } from './bare-node-boot';
import { startCpuLoad } from './cpu-load';
import { goalsTable, latencyTable, limitOf, limitTable, memoryTable, reportMarkdown, type Condition, type RunInfo } from './start-report';
import { measureContender, PACED_GAP_MS, type Contender, type ContenderResult } from './start-paces';
import { stripChartSvg } from './svg-chart';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    'no-load': { type: 'boolean', default: false },
    output: { type: 'string', default: join(REPO_ROOT, 'reports') },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
const output = resolve(values.output);
const CORES = availableParallelism();
/** What ours' pool holds at most: one spare per core. */
const BURST_SIZE = CORES;
const BURNERS = 2 * CORES;
const CHART_FILE = 'bench-start-latency.svg';

const contenders: Contender[] = [
  { label: 'ours', create: ours },
  { label: 'CPython fork', create: cpython, startMethod: 'fork' },
  { label: 'CPython forkserver', create: cpython, startMethod: 'forkserver' },
  { label: 'CPython spawn', create: cpython, startMethod: 'spawn' },
];
const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd'];

const LOAD_SAMPLE_MS = 10_000;

/** The limit, then each implementation's three paces; the 1-minute load average every 10 s meanwhile. */
async function measureCondition(name: string, load: string, leaveOut: ReadonlySet<number>): Promise<Condition> {
  const loadSeen: number[] = [];
  const sampler = setInterval(() => loadSeen.push(loadavg()[0] ?? NaN), LOAD_SAMPLE_MS);
  try {
    console.error(`${name}: bare Node boots`);
    const bare = await measureBareBoots(Math.max(runs, 20));
    const results: ContenderResult[] = [];
    for (const c of contenders) {
      console.error(`${name}: ${c.label}`);
      results.push(await measureContender(c, { runs, burstSize: BURST_SIZE, leaveOut }));
    }
    loadSeen.push(loadavg()[0] ?? NaN);
    return { name, load, results, bare, loadSeen };
  } finally {
    clearInterval(sampler);
  }
}

function chart(conditions: readonly Condition[]): string {
  return stripChartSvg({
    title: "Start latency: start() until the child's first observation (ms, log scale)",
    columns: [`starts ${PACED_GAP_MS} ms apart`, 'back to back', `bursts of ${BURST_SIZE}`],
    rows: conditions.map((c) => c.name),
    series: contenders.map((c, i) => ({ label: c.label, color: COLORS[i] ?? '#000' })),
    panels: conditions.map((c) => [
      { samples: c.results.map((r) => r.paced) },
      { samples: c.results.map((r) => r.backToBack), reference: { value: limitOf(c, CORES), label: 'limit' } },
      { samples: c.results.map((r) => r.burst) },
    ]),
    referenceLegend: `limit: a bare Node boot's CPU time ÷ ${CORES} cores`,
  });
}

function pythonVersion(): string {
  const python = process.env.KIT_PYTHON ?? DEFAULT_PYTHON;
  return execFileSync(python, ['-c', 'import sys; print(sys.version.split()[0])'], { encoding: 'utf8' }).trim();
}

async function main(): Promise<void> {
  const began = Date.now();
  const loadBefore = loadavg();
  const dir = mkdtempSync(join(tmpdir(), 'mp-kit-bench-'));
  // Ctrl-C: 'exit' listeners still run (the load's burners, the CPython agents), and the folder goes.
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  process.on('exit', removeDir);
  process.once('SIGINT', () => process.exit(130));
  // Set before any adapter exists: children (and ours' spares, fingerprinted with the env) inherit it.
  process.env.KIT_OBSERVE_FILE = join(dir, 'observations.jsonl');
  writeFileSync(process.env.KIT_OBSERVE_FILE, '');
  const conditions: Condition[] = [];
  try {
    conditions.push(await measureCondition('unloaded', 'none', new Set()));
    if (!values['no-load']) {
      const load = await startCpuLoad(BURNERS);
      try {
        conditions.push(await measureCondition(`loaded: ${BURNERS} CPU burners (2 per core)`, '2 per core', load.pids));
      } finally {
        await load.stop();
      }
    }
  } finally {
    removeDir();
  }
  const info: RunInfo = {
    date: new Date().toISOString().slice(0, 10),
    cores: CORES,
    node: process.version,
    python: pythonVersion(),
    extraCaCerts: process.env.NODE_EXTRA_CA_CERTS !== undefined,
    loadBefore,
    loadAfter: loadavg(),
    seconds: (Date.now() - began) / 1000,
    runs,
    burstSize: BURST_SIZE,
  };
  console.log(`start latency: start() until the child's first observation, ms, median of ${runs}; (ours ÷ this)\n`);
  console.log([...latencyTable(conditions, info), '', ...limitTable(conditions, info), '', ...goalsTable(conditions, info)].join('\n'));
  console.log(['', ...memoryTable(conditions)].join('\n'));
  for (const c of conditions) console.log(`\n${c.name}: 1-minute load average ${c.loadSeen.map((v) => v.toFixed(2)).join(', ')}`);
  mkdirSync(output, { recursive: true });
  writeFileSync(join(output, CHART_FILE), chart(conditions));
  writeFileSync(join(output, 'bench.md'), reportMarkdown(info, conditions, CHART_FILE));
  console.log(`\nwrote ${relative(process.cwd(), join(output, 'bench.md'))} and ${CHART_FILE} in ${info.seconds.toFixed(0)} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
