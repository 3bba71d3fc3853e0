/**
 * Start latency of one implementation at three paces, through the adapter contract (the same
 * calls a spec makes): from just before start() until the child's first observation (the fixture
 * task reportIdentity records one as it runs; its `t` is the child's CLOCK_MONOTONIC, the bench's
 * clock too). Each pace gets a fresh adapter, so ours starts it without spares left by the last.
 *
 * - paced: one start, its observation, join, then 200 ms idle (a server taking connections): a
 *   standby child has time to boot in between;
 * - back to back: the next start right after the previous join; the loop's wall time ÷ its starts
 *   is the sustained period, what goal 1 compares to the bare-boot limit;
 * - burst: B start()s issued in one go, each timed from that moment. A warm-up first (one start,
 *   one burst that teaches a pool the demand, 1 s for spares to boot), then bursts 1 s apart:
 *   under ours' 2 s idle give-back, so the spares stay. Before each timed burst, while no task
 *   runs, the helper processes are read (ours' spares); after the timed bursts, one more burst of
 *   children that sleep 400 ms is sampled for the peak memory, every child and spare alive.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Adapter, CreateAdapter, ProcessHandle } from '../spec/adapter';
import { monotonicNow } from '../spec/harness/clock';
import { Observations } from '../spec/harness/observations';
import { implementationProcesses, rssMb, spareChildren, treeMemory, type TreeMemory } from './process-memory';

export interface Contender {
  label: string;
  create: CreateAdapter;
  startMethod?: string;
}

export interface ContenderResult {
  label: string;
  /** Latency samples in ms, one per start. */
  paced: number[];
  backToBack: number[];
  burst: number[];
  /** Back to back: wall ms of the loop ÷ its starts. */
  periodMs: number;
  /** The implementation's processes before each timed burst (ours' spares, CPython's forkserver and resource tracker). */
  idle: TreeMemory[];
  /** Ours: RSS (MB) of each spare child seen before each timed burst. */
  spareRssMb: number[];
  /** Timed burst starts whose child was a spare already running when the burst was issued (ours). */
  burstFromSpares: number;
  /** The largest total of the memory burst's samples. */
  peak: TreeMemory;
}

export interface PaceOptions {
  /** Samples per pace (at least; a burst pace rounds up to whole bursts). */
  runs: number;
  burstSize: number;
  /** Pids that are not the implementation's (the load burners). */
  leaveOut: ReadonlySet<number>;
}

export const PACED_GAP_MS = 200;
const BURST_GAP_MS = 1_000;
const MEMORY_TASK_MS = 400;
const MEMORY_SAMPLE_MS = 40;
const OBSERVATION_TIMEOUT_MS = 60_000; // generous: a loaded 2-core machine may take seconds per boot

let tokens = 0;
const token = (label: string): string => `bench-${label.replace(/\W+/g, '-')}-${++tokens}`;

async function withAdapter<T>(c: Contender, use: (mp: Adapter) => Promise<T>): Promise<T> {
  const mp = await c.create(c.startMethod ? { startMethod: c.startMethod } : {});
  try {
    return await use(mp);
  } finally {
    await mp.close(); // ours: also ends the spare children (stopStandby)
  }
}

const reportIdentity = (mp: Adapter, tok: string): Promise<ProcessHandle> => mp.Process({ target: 'reportIdentity', args: [tok, 'bench'] });

async function startAndJoin(c: Contender, mp: Adapter): Promise<number> {
  const observations = new Observations();
  const tok = token(c.label);
  const p = await reportIdentity(mp, tok);
  const before = monotonicNow();
  await p.start();
  const [first] = await observations.waitFor('identity', { tok, timeout: OBSERVATION_TIMEOUT_MS });
  await p.join();
  return first!.t - before;
}

/** One warm-up start (caches, the forkserver's server, ours' first spare), then `runs` timed ones. */
async function sequential(c: Contender, mp: Adapter, runs: number, gapMs: number): Promise<{ latencies: number[]; loopMs: number }> {
  await startAndJoin(c, mp);
  if (gapMs > 0) await sleep(gapMs);
  const latencies: number[] = [];
  const begin = monotonicNow();
  for (let i = 0; i < runs; i++) {
    latencies.push(await startAndJoin(c, mp));
    if (gapMs > 0) await sleep(gapMs);
  }
  return { latencies, loopMs: monotonicNow() - begin };
}

/** Starts `size` children at once; each one's latency from the moment the burst was issued, and its pid. */
async function burst(c: Contender, mp: Adapter, size: number): Promise<{ latency: number; pid: number }[]> {
  const observations = new Observations();
  const toks = Array.from({ length: size }, () => token(c.label));
  const procs = await Promise.all(toks.map((tok) => reportIdentity(mp, tok)));
  const before = monotonicNow();
  await Promise.all(procs.map((p) => p.start()));
  const seen = await observations.waitFor('identity', { tok: toks, count: size, timeout: OBSERVATION_TIMEOUT_MS });
  await Promise.all(procs.map((p) => p.join()));
  return toks.map((tok) => seen.find((o) => o.tok === tok)!).map((o) => ({ latency: o.t - before, pid: o.pid }));
}

/** A burst of children that stay alive a while; the largest total memory seen meanwhile. */
async function memoryBurst(c: Contender, mp: Adapter, size: number, leaveOut: ReadonlySet<number>): Promise<TreeMemory> {
  const observations = new Observations();
  const toks = Array.from({ length: size }, () => token(c.label));
  const procs = await Promise.all(toks.map((tok) => mp.Process({ target: 'sleepFor', args: [tok, MEMORY_TASK_MS] })));
  await Promise.all(procs.map((p) => p.start()));
  await observations.waitFor('started', { tok: toks, count: size, timeout: OBSERVATION_TIMEOUT_MS });
  let peak = treeMemory([]);
  // While the children sleep, the refill spares boot: sample until the children are done.
  for (let i = 0; i * MEMORY_SAMPLE_MS < MEMORY_TASK_MS * 0.8; i++) {
    const now = treeMemory(implementationProcesses(leaveOut));
    if (now.rssMb > peak.rssMb) peak = now;
    await sleep(MEMORY_SAMPLE_MS);
  }
  await Promise.all(procs.map((p) => p.join()));
  return peak;
}

export async function measureContender(c: Contender, { runs, burstSize, leaveOut }: PaceOptions): Promise<ContenderResult> {
  const paced = await withAdapter(c, (mp) => sequential(c, mp, runs, PACED_GAP_MS));
  const backToBack = await withAdapter(c, (mp) => sequential(c, mp, runs, 0));
  const bursts = await withAdapter(c, async (mp) => {
    await startAndJoin(c, mp);
    await burst(c, mp, burstSize); // teaches a pool the demand; not counted
    const latencies: number[] = [];
    const idle: TreeMemory[] = [];
    const spareRssMb: number[] = [];
    let fromSpares = 0;
    while (latencies.length < runs) {
      await sleep(BURST_GAP_MS);
      idle.push(treeMemory(implementationProcesses(leaveOut)));
      const spares = spareChildren(); // none but ours' run bootstrap.js
      spareRssMb.push(...spares.map(rssMb));
      for (const { latency, pid } of await burst(c, mp, burstSize)) {
        latencies.push(latency);
        if (spares.includes(pid)) fromSpares++;
      }
    }
    await sleep(BURST_GAP_MS);
    return { latencies, idle, spareRssMb, fromSpares, peak: await memoryBurst(c, mp, burstSize, leaveOut) };
  });
  return {
    label: c.label,
    paced: paced.latencies,
    backToBack: backToBack.latencies,
    burst: bursts.latencies,
    periodMs: backToBack.loopMs / runs,
    idle: bursts.idle,
    spareRssMb: bursts.spareRssMb,
    burstFromSpares: bursts.fromSpares,
    peak: bursts.peak,
  };
}
