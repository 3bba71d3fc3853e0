/**
 * Children booted ahead of time, waiting for their start message: CPython's forkserver idea
 * without fork. Booting Node costs 35-130 ms of CPU here (reading NODE_EXTRA_CA_CERTS alone is two
 * thirds of it), and a fork cannot be shared, so each start() needs a Node that has already booted.
 *
 * The pool learns the demand. The first start() boots its child and one spare. A start() that
 * finds no booted spare (the spare was still booting, or a burst took them all) is a sign that
 * starts come faster than one boot: the pool keeps one more spare, up to `maxSpares` (by default
 * the number of cores: boots are CPU-bound, so more parallel boots do not come back sooner). A
 * spare says it has booted with one `ready` message (wire format: src/reduction.ts). After
 * `idleMs` without a start(), the extra spares are given back and one stays, so a program that
 * starts a single process pays for a single spare.
 *
 * A spare is exactly what a fresh child would be: same executable, arguments, working folder and
 * environment. Those are fingerprinted when it boots, and a spare whose fingerprint no longer
 * matches is discarded, so an environment change made before start() is seen, as with spawn (a
 * forkserver would not see it). A spare never keeps its parent alive, and exits when its parent
 * does, however the parent ends: it waits on its IPC channel, which the kernel closes when the
 * parent dies, and then its event loop is empty. stopStandby() ends the spares earlier (before a
 * leak check, for instance) and forgets the learned demand.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { errors } from './errors';

// Children always run compiled JavaScript: a TypeScript loader would add 30-300 ms to every start.
// Under ts-jest this file runs from src/ as .ts, so the bootstrap is looked up in dist/src/.
const BOOTSTRAP = __filename.endsWith('.ts')
  ? path.join(__dirname, '..', 'dist', 'src', 'bootstrap.js')
  : path.join(__dirname, 'bootstrap.js');

export interface StandbyOptions {
  /** The most spares kept booted (0: none, every start() boots its child). Default: the number of cores, at most 8. */
  maxSpares?: number;
  /** After this many ms without a start(), spares beyond one are ended. Default 2000. */
  idleMs?: number;
}

interface Spare {
  child: ChildProcess;
  fingerprint: string;
  ready: boolean;
}

const settings = { maxSpares: Math.min(availableParallelism(), 8), idleMs: 2000 };
/** Booted or booting, oldest first: the oldest is the closest to ready. */
const spares: Spare[] = [];
/** How many spares the demand seen so far asks for (0 until the first start()). */
let wanted = 0;
let refill: NodeJS.Immediate | null = null;
let idle: NodeJS.Timeout | null = null;

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

function bootSpare(): void {
  const child = boot();
  // Unref'd before the listener is added: an explicit unref keeps Node from re-ref'ing the channel
  // for a 'message' listener, so waiting for `ready` never keeps the parent alive.
  child.channel?.unref();
  child.unref();
  const spare: Spare = { child, fingerprint: fingerprint(), ready: false };
  // A spare's first message is always `ready` (src/bootstrap.ts sends it before anything else).
  child.once('message', () => (spare.ready = true));
  child.once('exit', () => {
    const at = spares.indexOf(spare);
    if (at >= 0) spares.splice(at, 1);
  });
  spares.push(spare);
}

const usable = (s: Spare, print: string): boolean =>
  s.fingerprint === print && s.child.connected && s.child.exitCode === null && s.child.signalCode === null;

/**
 * A child for start(): a booted spare if one matches, else the one closest to booted, else a
 * freshly booted one. Spares are booted back up to the demand on the next turn of the event loop,
 * so start() itself stays quick.
 */
export function takeChild(): ChildProcess {
  const print = fingerprint();
  const stale = spares.filter((s) => !usable(s, print));
  for (const s of stale) dismiss(s);
  const at = Math.max(
    spares.findIndex((s) => s.ready),
    0,
  );
  const [taken] = spares.splice(at, spares.length > 0 ? 1 : 0);
  // A start() that had to wait for a boot, after the first: the pool is one spare short. Not when
  // the spares were stale (the environment changed): more spares would only be more to throw away.
  if (!taken?.ready && wanted > 0 && stale.length === 0) wanted++;
  wanted = Math.min(Math.max(wanted, 1), settings.maxSpares);
  if (settings.maxSpares > 0) scheduleRefill();
  return taken?.child ?? boot();
}

function scheduleRefill(): void {
  refill ??= setImmediate(() => {
    refill = null;
    for (let n = spares.length; n < wanted; n++) bootSpare();
  });
  if (idle) idle.refresh();
  else idle = setTimeout(giveBack, settings.idleMs).unref();
}

/** No start() for a while: keep one spare, end the others (the youngest, furthest from booted). */
function giveBack(): void {
  idle = null;
  wanted = Math.min(wanted, 1);
  while (spares.length > wanted) dismiss(spares[spares.length - 1]!);
}

/** Ends a spare that will not be used: without its channel its event loop is empty and it exits 0. */
function dismiss(spare: Spare): Promise<void> {
  const at = spares.indexOf(spare);
  if (at >= 0) spares.splice(at, 1);
  const { child } = spare;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.ref(); // so a caller awaiting stopStandby() is not left with an empty event loop
  if (child.connected) child.disconnect();
  else child.kill('SIGKILL');
  return exited;
}

/** Ends every spare child and waits until each has exited; the pool starts learning again at the next start(). */
export async function stopStandby(): Promise<void> {
  if (refill) clearImmediate(refill);
  if (idle) clearTimeout(idle);
  refill = idle = null;
  wanted = 0;
  await Promise.all([...spares].map(dismiss));
}

/** Sets how many spares the pool may keep and how soon idle ones are given back (src/standby.ts). */
export function setStandby(options: StandbyOptions): void {
  const checked = { ...settings };
  if (typeof options !== 'object' || options === null) throw errors.invalidValue('setStandby()', 'its options', 'an object', options);
  for (const [key, value] of Object.entries(options)) {
    if (key !== 'maxSpares' && key !== 'idleMs') throw errors.unknownOption(key, 'setStandby()');
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || (value as number) < 0) {
      throw errors.invalidValue('setStandby()', `the '${key}' option`, 'a whole number, 0 or more', value);
    }
    checked[key] = value as number;
  }
  Object.assign(settings, checked);
  wanted = Math.min(wanted, settings.maxSpares);
  while (spares.length > settings.maxSpares) dismiss(spares[spares.length - 1]!);
  if (idle) {
    clearTimeout(idle);
    idle = setTimeout(giveBack, settings.idleMs).unref();
  }
}
