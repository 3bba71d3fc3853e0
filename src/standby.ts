/**
 * One child booted ahead of time, waiting for its start message: CPython's forkserver idea without
 * fork. Booting Node costs 35-110 ms of CPU (reading NODE_EXTRA_CA_CERTS alone can be half of it),
 * so after the first start() one spare child boots in the background and the next start() hands
 * its message to that spare instead of waiting for a new Node to boot.
 *
 * The spare is exactly what a fresh child would be: same executable, arguments, working folder and
 * environment. Those are fingerprinted when it boots, and a spare whose fingerprint no longer
 * matches is discarded, so an environment change made before start() is seen, as with spawn (a
 * forkserver would not see it). An unused spare exits when its parent does (its IPC channel closes)
 * and never keeps the parent alive; stopStandby() ends it earlier, e.g. before a leak check.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

// Children always run compiled JavaScript: a TypeScript loader would add 30-300 ms to every start.
// Under ts-jest this file runs from src/ as .ts, so the bootstrap is looked up in dist/src/.
const BOOTSTRAP = __filename.endsWith('.ts')
  ? path.join(__dirname, '..', 'dist', 'src', 'bootstrap.js')
  : path.join(__dirname, 'bootstrap.js');

interface Spare {
  child: ChildProcess;
  fingerprint: string;
}

let spare: Spare | null = null;
let refill: NodeJS.Immediate | null = null;

/** What a child inherits from its parent at start(); a spare booted under other values is stale. */
function fingerprint(): string {
  const env = Object.entries(process.env).sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([process.execPath, process.execArgv, process.cwd(), env]);
}

function boot(): ChildProcess {
  // Passed explicitly, not left to fork()'s defaults, so the child gets exactly what fingerprint()
  // read (under Jest, `process` is a per-test copy that fork()'s defaults would not see).
  const inherited = { env: process.env, execArgv: process.execArgv, cwd: process.cwd() };
  const child = fork(BOOTSTRAP, [], { ...inherited, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
  // Failed kill()s and sends after the child died are expected races; its end is read from 'exit'.
  child.on('error', () => {});
  return child;
}

const usable = (s: Spare | null, print: string): boolean =>
  s !== null && s.fingerprint === print && s.child.connected && s.child.exitCode === null && s.child.signalCode === null;

/**
 * A child for start(): the spare if it matches, else a freshly booted one. Either way a new spare
 * boots on the next turn of the event loop, so start() itself stays quick.
 */
export function takeChild(): ChildProcess {
  const print = fingerprint();
  const taken = spare;
  spare = null;
  let child: ChildProcess;
  if (taken !== null && usable(taken, print)) {
    child = taken.child;
  } else {
    if (taken) dismiss(taken.child);
    child = boot();
  }
  refill ??= setImmediate(() => {
    refill = null;
    if (spare) return;
    const next = boot();
    // Waiting for its message must not keep the parent alive: the spare lives while the parent does.
    next.channel?.unref();
    next.unref();
    spare = { child: next, fingerprint: fingerprint() };
  });
  return child;
}

/** An unused spare ends quietly: without its channel its event loop is empty and it exits 0. */
function dismiss(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.ref(); // so a caller awaiting stopStandby() is not left with an empty event loop
  if (child.connected) child.disconnect();
  else child.kill('SIGKILL');
  return exited;
}

/** Ends the spare child, if any, and waits until it has exited. New start() calls boot a new one. */
export async function stopStandby(): Promise<void> {
  if (refill) clearImmediate(refill);
  refill = null;
  const taken = spare;
  spare = null;
  if (taken) await dismiss(taken.child);
}
