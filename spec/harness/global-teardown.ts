/** Jest globalTeardown: removes the run folder, then fails the run if it left temp files or processes. */
import { rmSync } from 'node:fs';
import { listTemp } from './global-setup';
import { descendants, killAll } from './proc';

export default function globalTeardown(): void {
  const runDir = process.env.KIT_RUN_DIR;
  if (runDir) rmSync(runDir, { recursive: true, force: true });
  const before = new Set(JSON.parse(process.env.KIT_TEMP_BEFORE ?? '[]') as string[]);
  const leftFiles = listTemp().filter((name) => !before.has(name));
  const leftProcs = descendants(process.pid);
  killAll(leftProcs.map((p) => p.pid));
  const problems = [
    ...leftFiles.map((name) => `temp file or folder left behind: ${name}`),
    ...leftProcs.map((p) => `process left behind: pid ${p.pid} (${p.cmd}, state ${p.state})`),
  ];
  if (problems.length > 0) throw new Error(`the run leaked:\n${problems.join('\n')}`);
}
