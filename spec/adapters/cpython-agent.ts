/** The CPython agent's transport: starts fixtures/python/agent.py and speaks its JSON-lines protocol (agent-protocol.md). */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import type { Json } from '../adapter';
import { REPO_ROOT } from '../harness/paths';
import { agentError, pythonError, type WireError } from './cpython-errors';

// From the repository root, not __dirname: the Python files are never compiled into dist/.
const AGENT_PATH = path.join(REPO_ROOT, 'fixtures', 'python', 'agent.py');
/** The interpreter when none is chosen (`--python`, `KIT_PYTHON`, or `?python=` in the adapter choice). */
export const DEFAULT_PYTHON = 'python3';
const PROTOCOL_VERSION = 1;

const HELLO_TIMEOUT_MS = 30_000; // a cold python3 behind a pyenv shim on a loaded VM
const CLOSE_GRACE_MS = 5_000; // after stdin EOF, then SIGKILL
const STREAMS_GRACE_MS = 1_000; // after exit, for pipes a stray grandchild might still hold
const STDERR_KEEP_CHARS = 64 * 1024;

interface Reply {
  v: number;
  id?: number | null;
  ok?: boolean;
  result?: Json;
  error?: WireError;
  hello?: string;
}

/** What the agent says about itself in its hello (agent-protocol.md). */
export interface Hello {
  pid: number;
  /** platform.python_implementation(): CPython, PyPy, ... */
  implementation: string;
  python: string;
  module: string;
  moduleVersion: string;
  /** The start method in effect, or null for an implementation without start methods. */
  startMethod: string | null;
  /** The shared-object makers the module has (`Lock`, `RLock`, `Value`, `Queue`, `JoinableQueue`, `Pipe`); absent from an older agent. */
  shared?: string[];
}

/** Where and how to run the agent. */
export interface AgentSpec {
  python: string;
  module: string;
  startMethod: string;
}

interface Pending {
  op: string;
  site: Error;
  resolve(value: Json): void;
  reject(error: Error): void;
}

/**
 * SIGKILLs the agent's whole process group, when it did not exit on request: the agent leads its
 * own group (spawned `detached`), and its children, the forkserver and the resource tracker stay in
 * it, so none of them survives the agent.
 */
function killGroup(child: ChildProcessWithoutNullStreams): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL'); // the group is gone already (ESRCH); the agent alone, just in case
  }
}

// Agents still running when Node exits without close() get SIGTERM (one listener for all of them):
// nothing can wait for them any more, and SIGTERM, unlike SIGKILL, lets an agent kill its children,
// stop the forkserver and the resource tracker and run multiprocessing's finalizers (its temp dir,
// later its named semaphores). The kernel sends the same SIGTERM when Node dies abruptly (the
// agent's PR_SET_PDEATHSIG), and stdin EOF means the same.
const liveAgents = new Set<ChildProcessWithoutNullStreams>();
function stopLiveAgents(): void {
  for (const child of liveAgents) child.kill('SIGTERM');
}
function track(child: ChildProcessWithoutNullStreams, live: boolean): void {
  if (live) liveAgents.add(child);
  else liveAgents.delete(child);
  if (live && liveAgents.size === 1) process.on('exit', stopLiveAgents);
  if (!live && liveAgents.size === 0) process.removeListener('exit', stopLiveAgents);
}

// JSON.stringify writes -0 as 0, and Python's json reads "-0" as the int 0: a negative zero travels
// as the placeholder string below, which encodeLine() then spells -0.0 (a float, kept as -0.0).
const NEGATIVE_ZERO = `\u0000mp-kit-negative-zero-${process.pid}-${Date.now()}`;
const NEGATIVE_ZERO_JSON = JSON.stringify(NEGATIVE_ZERO);
function encodeLine(message: object): string {
  const text = JSON.stringify(message, (_key, value: unknown) => (Object.is(value, -0) ? NEGATIVE_ZERO : value));
  return text.includes(NEGATIVE_ZERO_JSON) ? text.split(NEGATIVE_ZERO_JSON).join('-0.0') : text;
}

/** One agent process and its JSON-lines conversation. */
export class Agent {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stdoutBuffer = '';
  private stderrTail = '';
  private hello: { resolve(hello: Hello): void; reject(error: Error): void } | undefined;
  /** The agent's hello, once it has said it. */
  info!: Hello;
  private ended: string | undefined; // why requests are refused, once closed or dead
  private streamsTimer: NodeJS.Timeout | undefined;
  private readonly closed: Promise<void>;
  // Handles the specs dropped are forgotten by the agent too (it keeps running children itself).
  private readonly releaser = new FinalizationRegistry<number>((handle) => {
    if (this.ended === undefined) this.request('release', { handle }).catch(() => undefined);
  });

  private constructor(
    /** Prefixes every error; the adapter renames the agent once the hello says what runs. */
    public name: string,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    track(child, true);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.onStdout(chunk));
    child.stderr.on('data', (chunk: string) => this.onStderr(chunk));
    child.stdin.on('error', () => undefined); // EPIPE when the agent died: reported through 'exit'
    let exitReason = 'the agent closed its pipes';
    child.on('exit', (code, signal) => {
      exitReason = `the agent exited (code ${code}, signal ${signal})`;
      this.ended ??= exitReason;
      // 'close' waits for every holder of the pipes; a leaked grandchild must not stall close().
      this.streamsTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, STREAMS_GRACE_MS);
    });
    // Pending requests fail at 'close', not 'exit': replies the agent wrote before exiting may
    // still be in the pipe when 'exit' arrives.
    this.closed = new Promise((resolve) => {
      child.on('close', () => {
        clearTimeout(this.streamsTimer);
        track(child, false);
        this.fail(exitReason);
        resolve();
      });
    });
    child.on('error', (error) => this.fail(`cannot run the agent (${child.spawnfile} ${AGENT_PATH}): ${error.message}`));
  }

  static async start(name: string, { python, module, startMethod }: AgentSpec): Promise<Agent> {
    const child = spawn(python, [AGENT_PATH, '--start-method', startMethod, '--module', module], {
      env: process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // its own process group, for killGroup(); Node still waits for it
    });
    const agent = new Agent(name, child);
    let timer: NodeJS.Timeout | undefined;
    try {
      agent.info = await new Promise<Hello>((resolve, reject) => {
        agent.hello = { resolve, reject };
        timer = setTimeout(() => reject(agentError(name, `no hello from the agent within ${HELLO_TIMEOUT_MS} ms`)), HELLO_TIMEOUT_MS);
      });
    } catch (error) {
      await agent.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return agent;
  }

  /** Sends one request; never throws, every failure is a rejection. */
  request(op: string, fields: Record<string, unknown> = {}): Promise<Json> {
    const site = new Error();
    return new Promise<Json>((resolve, reject) => {
      if (this.ended !== undefined) {
        reject(agentError(this.name, `cannot ${op}: ${this.ended}`, site));
        return;
      }
      const id = this.nextId++;
      let line: string;
      try {
        line = encodeLine({ v: PROTOCOL_VERSION, id, op, ...fields });
      } catch (error) {
        reject(agentError(this.name, `cannot encode ${op}: ${String(error)}`, site));
        return;
      }
      this.pending.set(id, { op, site, resolve, reject });
      this.child.stdin.write(`${line}\n`);
    });
  }

  /** Registers a handle object so that the agent forgets it once the spec drops it. */
  adopt<T extends object>(object: T, handle: number): T {
    this.releaser.register(object, handle);
    return object;
  }

  /** stdin EOF asks the agent to kill its children and exit; SIGKILL if it does not. */
  close(): Promise<void> {
    this.ended ??= 'the adapter is closed';
    this.child.stdin.end();
    const killer = setTimeout(() => killGroup(this.child), CLOSE_GRACE_MS);
    return this.closed.finally(() => clearTimeout(killer));
  }

  private onStdout(chunk: string): void {
    this.stdoutBuffer += chunk;
    let newline: number;
    while ((newline = this.stdoutBuffer.indexOf('\n')) >= 0) {
      const line = this.stdoutBuffer.slice(0, newline);
      this.stdoutBuffer = this.stdoutBuffer.slice(newline + 1);
      if (line.trim() !== '') this.onLine(line);
    }
  }

  private onLine(line: string): void {
    let reply: Reply;
    try {
      reply = JSON.parse(line) as Reply;
    } catch {
      this.noteStderr(`[adapter] not a protocol line: ${line}\n`);
      return;
    }
    if (this.hello) {
      const hello = this.hello;
      this.hello = undefined;
      if (reply.v === PROTOCOL_VERSION && reply.hello === 'mp-kit-agent') hello.resolve(reply as unknown as Hello);
      else hello.reject(agentError(this.name, `unexpected hello from the agent: ${line}`));
      return;
    }
    const pending = typeof reply.id === 'number' ? this.pending.get(reply.id) : undefined;
    if (!pending || reply.id == null) {
      this.noteStderr(`[adapter] reply to no request: ${line}\n`);
      return;
    }
    this.pending.delete(reply.id);
    if (reply.ok) pending.resolve(reply.result ?? null);
    else pending.reject(pythonError(this.name, reply.error ?? { type: 'ProtocolError', message: line }, pending.site, pending.op));
  }

  private onStderr(chunk: string): void {
    this.noteStderr(chunk);
    if (process.env.KIT_CPYTHON_STDERR === '1') process.stderr.write(chunk);
  }

  // Children's tracebacks land on the agent's stderr; the recent part explains an agent death.
  private noteStderr(text: string): void {
    this.stderrTail = (this.stderrTail + text).slice(-STDERR_KEEP_CHARS);
  }

  private fail(reason: string): void {
    const tail = this.stderrTail.trim() === '' ? '' : `\nrecent stderr of the agent:\n${this.stderrTail.trimEnd()}`;
    this.ended ??= reason;
    const error = (site?: Error): Error => agentError(this.name, `${reason}${tail}`, site);
    this.hello?.reject(error());
    this.hello = undefined;
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.reject(error(pending.site));
    }
  }
}
