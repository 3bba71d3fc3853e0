/**
 * Plain Node programs that use this package as a user's project does: a temporary folder whose
 * node_modules/mp-conformance-kit is a link to this repository (so `import ... from
 * 'mp-conformance-kit'` and `require('mp-conformance-kit')` load its compiled dist/), and each
 * program run in a process group of its own, so that whatever it started is found after it exits.
 * Used by check-readme.ts (the README's examples) and spec/library/esm.test.ts.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../spec/harness/paths';

/** A folder with the package installed (linked) and `files` (name to text, or to a file to copy). */
export function makeProject(files: Readonly<Record<string, string | { copy: string }>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mp-kit-project-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(REPO_ROOT, join(dir, 'node_modules', 'mp-conformance-kit'), 'dir');
  for (const [name, content] of Object.entries(files)) {
    const file = join(dir, name);
    mkdirSync(dirname(file), { recursive: true });
    if (typeof content === 'string') writeFileSync(file, content);
    else cpSync(content.copy, file);
  }
  return dir;
}

export function removeProject(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface ProgramRun {
  /** The program's own pid. */
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Processes of its group still there once it had exited and a grace period had passed (then SIGKILLed). */
  leftBehind: string[];
  /** True when it had to be killed at the time limit. */
  timedOut: boolean;
}

/** `ps`-like lines of the processes in group `pgid`, zombies included. */
function groupMembers(pgid: number): string[] {
  const found: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone in between
    }
    const close = stat.lastIndexOf(')');
    // After the command: state, ppid, pgrp.
    const [state, ppid, pgrp] = stat.slice(close + 2).split(' ');
    if (Number(pgrp) === pgid) found.push(`pid ${name} (${stat.slice(stat.indexOf('(') + 1, close)}, state ${state}, ppid ${ppid})`);
  }
  return found;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is empty
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `node [nodeArgs] <file> [args]` in `dir`, in a new process group, and waits for it and for
 * every process of its group to end. Past `timeoutMs` the group is SIGKILLed (`timedOut`); a
 * process of the group still there `graceMs` after the program ended is listed in `leftBehind`
 * and SIGKILLed. The library's standby child exits once its parent has, when it has finished
 * booting: 1.5 s after its parent here at a load average of 14 on 2 cores, hence the long grace.
 */
export async function runProgram(
  dir: string,
  file: string,
  options: { args?: readonly string[]; nodeArgs?: readonly string[]; timeoutMs?: number; graceMs?: number } = {},
): Promise<ProgramRun> {
  const { args = [], nodeArgs = [], timeoutMs = 30_000, graceMs = 15_000 } = options;
  const child = spawn(process.execPath, [...nodeArgs, file, ...args], {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: process.env,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start node ${file}`);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    signalGroup(pid, 'SIGKILL');
  }, timeoutMs);
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (c: number | null, s: NodeJS.Signals | null) => resolve([c, s])),
  );
  clearTimeout(timer);
  let leftBehind = groupMembers(pid);
  for (const deadline = Date.now() + graceMs; leftBehind.length > 0 && Date.now() < deadline; leftBehind = groupMembers(pid)) {
    await sleep(20);
  }
  const left = leftBehind;
  if (left.length > 0) {
    signalGroup(pid, 'SIGKILL');
    for (const deadline = Date.now() + 5_000; groupMembers(pid).length > 0 && Date.now() < deadline;) await sleep(20);
  }
  // The output pipes close once every process holding them has ended: all of the group, now.
  let giveUp: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise((resolve) => (giveUp = setTimeout(resolve, 5_000)))]);
  clearTimeout(giveUp);
  return { pid, code, signal, stdout, stderr, leftBehind: left, timedOut };
}
