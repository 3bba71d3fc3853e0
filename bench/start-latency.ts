/**
 * `npm run bench`: median start latency, from just before start() until the child's first
 * observation, for ours and for CPython's fork, spawn and forkserver, measured in the same run
 * through the same adapter contract, printed as a table with ratios. Two paces: starts 200 ms
 * apart (a server taking connections; ours then finds its standby child booted) and back to back
 * (each start right after the previous child was joined: ours waits for the standby to boot).
 * Figures move ±30 % from run to run on these machines: compare only the ratios of one run.
 * Options: --runs N (default 20).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CreateAdapter } from '../spec/adapter';
import cpython from '../spec/adapters/cpython';
import ours from '../spec/adapters/ours';
import { monotonicNow } from '../spec/harness/clock';
import { Observations } from '../spec/harness/observations';
import { median } from '../spec/harness/yardstick';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } } });
const runs = Number(values.runs);

const contenders: { label: string; create: CreateAdapter; startMethod?: string }[] = [
  { label: 'ours', create: ours },
  { label: 'cpython fork', create: cpython, startMethod: 'fork' },
  { label: 'cpython forkserver', create: cpython, startMethod: 'forkserver' },
  { label: 'cpython spawn', create: cpython, startMethod: 'spawn' },
];

const PACED_GAP_MS = 200;

async function startLatency(create: CreateAdapter, startMethod: string | undefined, gap: number): Promise<number> {
  const mp = await create(startMethod ? { startMethod } : {});
  try {
    const samples: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const observations = new Observations();
      // Token, then tag: the bench drives adapters without the kit's tracking, so it passes the token itself.
      const p = await mp.Process({ target: 'reportIdentity', args: ['bench', 'bench'] });
      const before = monotonicNow();
      await p.start();
      const [first] = await observations.waitFor('identity');
      await p.join();
      if (i > 0) samples.push(first!.t - before); // the first start warms caches and is not counted
      await sleep(gap);
    }
    return median(samples);
  } finally {
    await mp.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mp-kit-bench-'));
  process.env.KIT_OBSERVE_FILE = join(dir, 'observations.jsonl');
  writeFileSync(process.env.KIT_OBSERVE_FILE, '');
  try {
    const results: { label: string; paced: number; backToBack: number }[] = [];
    for (const c of contenders) {
      const paced = await startLatency(c.create, c.startMethod, PACED_GAP_MS);
      results.push({ label: c.label, paced, backToBack: await startLatency(c.create, c.startMethod, 0) });
    }
    const ours = results[0]!;
    console.log(`start latency: start() until the child's first observation, median of ${runs} (ms)\n`);
    console.log(`| implementation | starts ${PACED_GAP_MS} ms apart | ours ÷ this | back to back | ours ÷ this |`);
    console.log('| --- | ---: | ---: | ---: | ---: |');
    for (const r of results) {
      const cells = [
        r.paced.toFixed(1),
        (ours.paced / r.paced).toFixed(2),
        r.backToBack.toFixed(1),
        (ours.backToBack / r.backToBack).toFixed(2),
      ];
      console.log(`| ${r.label} | ${cells.join(' | ')} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
