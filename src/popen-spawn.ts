/** The one start method: a Node process running the compiled bootstrap (CPython's popen_spawn_posix), booted ahead by standby.ts. */
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { AbortError, errors } from './errors';
import { toJsonText, type Json, type StartMessage } from './reduction';
import { takeChild } from './standby';

/** Python's exit code convention: the child's exit status, or minus the signal that killed it. */
function toReturnCode(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const signum = signal === null ? undefined : constants.signals[signal];
  return signum === undefined ? 1 : -signum;
}

/**
 * A started child, as CPython's Popen: pid, poll(), terminate(), kill(), close(), and waiting.
 *
 * Its handles never keep the parent alive on their own (both are unref'd): the event loop is held
 * only while someone waits for the exit (join(), or the join-at-exit of process.ts), so the parent
 * can decide at exit what to do with each child, as CPython's _exit_function does.
 */
export class Popen {
  readonly pid: number;
  #child: ChildProcess | null;
  #returnCode: number | null = null;
  readonly #waiters = new Set<() => void>();

  /** Forks the child and sends it `message`; `onExit` runs once with the return code. */
  constructor(message: StartMessage, onExit: (returnCode: number) => void) {
    const child = takeChild();
    if (child.pid === undefined) throw errors.spawnFailed(message.name);
    this.pid = child.pid;
    this.#child = child;
    child.once('exit', (code, signal) => {
      this.#returnCode = toReturnCode(code, signal);
      onExit(this.#returnCode);
      for (const wake of [...this.#waiters]) wake();
    });
    // The callback swallows EPIPE: a child that dies before reading still ends through 'exit'.
    child.send(toJsonText(message as unknown as Json), () => {});
    child.channel?.unref();
    child.unref();
  }

  /** The return code, or null while the child runs (CPython's poll(), without blocking). */
  poll(): number | null {
    return this.#returnCode;
  }

  /**
   * CPython's wait(timeout), made a Promise: the return code once the child has exited, or null
   * after `timeout` ms. While it waits it holds the event loop open; an abort rejects at once.
   * Every listener and timer is gone when it settles, so nothing keeps a test runner alive.
   */
  wait(timeout?: number, signal?: AbortSignal): Promise<number | null> {
    if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    if (this.#returnCode !== null || timeout === 0) return Promise.resolve(this.#returnCode);
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (this.#waiters.delete(onExit) && this.#waiters.size === 0) this.#child?.unref();
      };
      const onExit = (): void => {
        settle();
        resolve(this.#returnCode);
      };
      const onAbort = (): void => {
        settle();
        reject(new AbortError(undefined, { cause: signal?.reason }));
      };
      if (this.#waiters.size === 0) this.#child?.ref();
      this.#waiters.add(onExit);
      // Beyond setTimeout's 32-bit limit Node would fire after 1 ms; such a wait is "forever".
      if (timeout !== undefined && timeout <= 0x7fffffff) {
        timer = setTimeout(() => {
          settle();
          resolve(null);
        }, timeout);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  terminate(): void {
    this.#signal('SIGTERM');
  }

  kill(): void {
    this.#signal('SIGKILL');
  }

  /** Forgets the child (it has exited: Process.close() checks); nothing is left to release. */
  close(): void {
    this.#child = null;
    this.#waiters.clear();
  }

  // Like CPython, signalling a child that already exited does nothing: its pid may be reused.
  #signal(signal: NodeJS.Signals): void {
    if (this.#returnCode === null) this.#child?.kill(signal);
  }
}
