/**
 * Jest globalTeardown: fails the run if it left temp files, shared-memory entries or processes, then
 * removes the run folder. Only this run's leftovers count (the run folder, and /dev/shm entries
 * carrying this run's id), so two kit runs at once never blame each other.
 */
import { readdirSync, rmSync } from 'node:fs';
import { CAPABILITIES_FILE } from './capabilities';
import { OBSERVATIONS } from './global-setup';
import { descendants } from './proc';

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export default function globalTeardown(): void {
  const runDir = process.env.KIT_RUN_DIR;
  const runId = process.env.KIT_RUN_ID;
  const leftFiles = runDir
    ? list(runDir)
        .filter((name) => name !== OBSERVATIONS && name !== CAPABILITIES_FILE)
        .map((name) => `${runDir}/${name}`)
    : [];
  const leftShm = runId
    ? list('/dev/shm')
        .filter((name) => name.includes(runId))
        .map((name) => `/dev/shm/${name}`)
    : [];
  // Processes: the specs' own checks killed what they could prove theirs; what is still below Jest
  // now is reported, and ended (Jest's children are ours by construction: nothing else forks them).
  const leftProcs = descendants(process.pid);
  for (const p of leftProcs) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // Gone in between.
    }
  }
  if (runDir) rmSync(runDir, { recursive: true, force: true });
  for (const name of leftShm) rmSync(name, { force: true });
  const problems = [
    ...[...leftFiles, ...leftShm].map((name) => `temp file or folder left behind: ${name}`),
    ...leftProcs.map((p) => `process left behind: pid ${p.pid} (${p.cmd}, state ${p.state})`),
  ];
  if (problems.length > 0) throw new Error(`the run leaked:\n${problems.join('\n')}`);
}
