/**
 * The floor under any Node start: a bare `node -e` booting with the bench's own environment
 * (NODE_EXTRA_CA_CERTS included, when set: reading it is much of a boot). Each boot reports the
 * CPU time (user + system, all its threads) it used until its code ran; the parent times spawn
 * to exit. Sustained starts cannot beat CPU time per boot ÷ cores: that is the bench's limit.
 */
import { spawn } from 'node:child_process';
import { monotonicNow } from '../spec/harness/clock';

export interface BareBoots {
  /** CPU ms each boot had used when its code ran. */
  cpu: number[];
  /** Wall ms from spawn() to the exit event. */
  wall: number[];
}

const REPORT_CPU = 'const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000));';

async function bootOnce(): Promise<{ cpu: number; wall: number }> {
  const begin = monotonicNow();
  const child = spawn(process.execPath, ['-e', REPORT_CPU], { env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => resolve(exitCode));
  });
  const wall = monotonicNow() - begin;
  const cpu = Number(out);
  if (code !== 0 || !Number.isFinite(cpu)) throw new Error(`bare node boot: exit ${code}, printed ${JSON.stringify(out)}`);
  return { cpu, wall };
}

/** `runs` boots one after the other (one warm-up boot first, not counted: it fills the page cache). */
export async function measureBareBoots(runs: number): Promise<BareBoots> {
  const boots: BareBoots = { cpu: [], wall: [] };
  await bootOnce();
  for (let i = 0; i < runs; i++) {
    const { cpu, wall } = await bootOnce();
    boots.cpu.push(cpu);
    boots.wall.push(wall);
  }
  return boots;
}
