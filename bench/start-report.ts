/**
 * The start-latency bench's tables (Markdown, printed and written to reports/bench.md) and its
 * goals (issue 13) checked against one run's figures: only ratios within one run are compared,
 * as absolute figures move ±30 % between runs on shared machines.
 */
import { median } from '../spec/harness/yardstick';
import type { BareBoots } from './bare-node-boot';
import type { TreeMemory } from './process-memory';
import { PACED_GAP_MS, type ContenderResult } from './start-paces';

export interface Condition {
  /** 'unloaded', or how the load was made: 'loaded, 4 CPU burners (2 per core)'. */
  name: string;
  /** Short, for table cells: 'none', '2 per core'. */
  load: string;
  results: ContenderResult[];
  bare: BareBoots;
  /** 1-minute load averages read during the condition (at least one, at its end). */
  loadSeen: number[];
}

export interface RunInfo {
  date: string;
  cores: number;
  node: string;
  python: string;
  extraCaCerts: boolean;
  loadBefore: number[];
  loadAfter: number[];
  seconds: number;
  runs: number;
  burstSize: number;
}

/** Goal 1's allowance over the limit. */
const PERIOD_ALLOWANCE = 1.2;

const ms = (v: number): string => (v < 10 ? v.toFixed(1) : v.toFixed(0));
const mb = (v: number): string => v.toFixed(0);
const loads = (values: readonly number[]): string => values.map((v) => v.toFixed(2)).join(', ');
export const limitOf = (c: Condition, cores: number): number => median(c.bare.cpu) / cores;

function find(c: Condition, label: string): ContenderResult {
  const found = c.results.find((r) => r.label === label);
  if (!found) throw new Error(`no results for ${label}`);
  return found;
}

export function latencyTable(conditions: readonly Condition[], info: RunInfo): string[] {
  const lines = [
    `| load | implementation | starts ${PACED_GAP_MS} ms apart | back to back | back-to-back period | burst of ${info.burstSize} |`,
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const c of conditions) {
    const ours = find(c, 'ours');
    const cell = (mine: number, theirs: number, isOurs: boolean): string =>
      isOurs ? ms(theirs) : `${ms(theirs)} (${(mine / theirs).toFixed(2)})`;
    for (const r of c.results) {
      const isOurs = r === ours;
      const cells = [
        cell(median(ours.paced), median(r.paced), isOurs),
        cell(median(ours.backToBack), median(r.backToBack), isOurs),
        cell(ours.periodMs, r.periodMs, isOurs),
        cell(median(ours.burst), median(r.burst), isOurs),
      ];
      lines.push(`| ${c.load} | ${r.label} | ${cells.join(' | ')} |`);
    }
    const limit = limitOf(c, info.cores);
    lines.push(`| ${c.load} | limit: bare Node boot's CPU ÷ ${info.cores} cores | | | ${cell(ours.periodMs, limit, false)} | |`);
  }
  return lines;
}

export function limitTable(conditions: readonly Condition[], info: RunInfo): string[] {
  const lines = [
    `| load | bare Node boot, CPU | limit (CPU ÷ ${info.cores} cores) | bare Node boot, wall | ours back-to-back period | period ÷ limit |`,
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const c of conditions) {
    const limit = limitOf(c, info.cores);
    const period = find(c, 'ours').periodMs;
    lines.push(
      `| ${c.load} | ${ms(median(c.bare.cpu))} | ${ms(limit)} | ${ms(median(c.bare.wall))} | ${ms(period)} | ${(period / limit).toFixed(2)} |`,
    );
  }
  return lines;
}

/** ✓ or ✗, then the figures it was decided on. */
function check(ok: boolean, figures: string): string {
  return `${ok ? '✓' : '✗'} ${figures}`;
}

function notAbove(mine: number, theirs: number): string {
  return check(mine <= theirs, `${ms(mine)} ${mine <= theirs ? '≤' : '>'} ${ms(theirs)} ms (${(mine / theirs).toFixed(2)})`);
}

export function goalsTable(conditions: readonly Condition[], info: RunInfo): string[] {
  const goals: [string, (c: Condition) => string][] = [
    [
      `1. ours' back-to-back period ≤ ${PERIOD_ALLOWANCE} × limit`,
      (c) => {
        const [period, limit] = [find(c, 'ours').periodMs, limitOf(c, info.cores)];
        return check(period <= PERIOD_ALLOWANCE * limit, `${ms(period)} ms = ${(period / limit).toFixed(2)} × ${ms(limit)} ms`);
      },
    ],
    [`2. paced: ours ≤ CPython spawn`, (c) => notAbove(median(find(c, 'ours').paced), median(find(c, 'CPython spawn').paced))],
    [
      `2. back to back: ours ≤ CPython spawn`,
      (c) => notAbove(median(find(c, 'ours').backToBack), median(find(c, 'CPython spawn').backToBack)),
    ],
    [
      `3. burst of ${info.burstSize}: ours ≤ CPython forkserver`,
      (c) => {
        const ours = find(c, 'ours');
        const spares = `; ${ours.burstFromSpares} of ${ours.burst.length} started in a spare`;
        return notAbove(median(ours.burst), median(find(c, 'CPython forkserver').burst)) + spares;
      },
    ],
  ];
  return [
    `| goal | ${conditions.map((c) => c.name).join(' | ')} |`,
    `| --- | ${conditions.map(() => '---').join(' | ')} |`,
    ...goals.map(([goal, verdict]) => `| ${goal} | ${conditions.map(verdict).join(' | ')} |`),
  ];
}

const processes = (m: TreeMemory): string => `${m.processes} process${m.processes === 1 ? '' : 'es'}`;

export function memoryTable(conditions: readonly Condition[]): string[] {
  const lines = [
    '| load | implementation | idle between bursts (median) | RSS per spare (median) | burst peak: RSS | burst peak: PSS |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const c of conditions) {
    for (const r of c.results) {
      const idle = [...r.idle].sort((a, b) => a.rssMb - b.rssMb)[Math.floor(r.idle.length / 2)]; // the median, as median() picks
      const spare = r.spareRssMb.length > 0 ? `${mb(median(r.spareRssMb))} MB` : '—';
      const cells = [
        idle ? `${processes(idle)}, ${mb(idle.rssMb)} MB` : '—',
        spare,
        `${processes(r.peak)}, ${mb(r.peak.rssMb)} MB`,
        `${mb(r.peak.pssMb)} MB`,
      ];
      lines.push(`| ${c.load} | ${r.label} | ${cells.join(' | ')} |`);
    }
  }
  return lines;
}

export function reportMarkdown(info: RunInfo, conditions: readonly Condition[], chartFile: string): string {
  const loadLines = conditions.map((c) => `${c.name}: ${loads(c.loadSeen)}`).join('; ');
  return `# Start latency: ours beside CPython's fork, forkserver and spawn

Written by \`npm run bench\` (bench/start-latency.ts) on ${info.date} in ${info.seconds.toFixed(0)} s:
${info.cores} cores, Node ${info.node}, Python ${info.python}, NODE_EXTRA_CA_CERTS ${info.extraCaCerts ? 'set' : 'not set'};
load average (1, 5, 15 min) ${loads(info.loadBefore)} before and ${loads(info.loadAfter)} after;
1-minute load average read during each condition: ${loadLines}.

Latency is from just before \`start()\` until the child's first observation (the fixture task
\`reportIdentity\`), through the adapter contract, all four implementations in this one run.
Medians of ${info.runs} (bursts: ${info.burstSize} starts at once, each timed from the moment the burst
was issued, whole bursts until ${info.runs} samples or more). In parentheses: ours ÷ this, below 1 ours
is faster. The back-to-back period is the loop's wall time ÷ its starts; the limit is the CPU time a
bare \`node -e\` uses to boot with this environment, ÷ the cores: no sustained rate of Node boots can
beat it. ${conditions.length > 1 ? 'Loaded rows: 2 busy-looping processes per core beside the bench.' : 'No loaded rows (--no-load).'}
Figures move ±30 % between runs on shared machines: compare the ratios of one run.${info.runs < 20 ? ` Only ${info.runs} samples per pace: the goals ask for medians of 20 at least.` : ''}

![Start latency distributions: ours beside CPython fork, forkserver, spawn](${chartFile})

## Latency (ms, median)

${latencyTable(conditions, info).join('\n')}

## The limit (ms, median)

${limitTable(conditions, info).join('\n')}

## Goals (issue 13)

${goalsTable(conditions, info).join('\n')}

## Memory

Processes below the parent program (the bench for ours, the CPython agent for CPython; the load
burners left out). Idle: before each timed burst, no task running (ours: its spare children;
CPython: the forkserver and the resource tracker). Peak: the largest total sampled while a burst
of ${info.burstSize} children that sleep 400 ms runs (with ours' spares booting meanwhile). PSS
shares each page among the processes mapping it: a fork child is not charged for its parent's pages.

${memoryTable(conditions).join('\n')}
`;
}
