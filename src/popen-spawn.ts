/** The one start method: a Node process running the compiled bootstrap (CPython's popen_spawn_posix), booted ahead by standby.ts. */
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { AbortError, errors } from './errors';
import { startTimeOf, waitForExitSync } from './exit-status';
import { PLACED_TEXT, markHandedOver, socketMessageText, socketsOf, toJsonText, type Json, type StartMessage } from './reduction';
import { takeChild } from './standby';

/** Python's exit code convention: the child's exit status, or minus the signal that killed it. */
function toReturnCode(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const signum = signal === null ? undefined : constants.signals[signal];
  return signum === undefined ? 1 : -signum;
}

/**
 * Hands `sockets` to `child` (wire format: src/reduction.ts): one descriptor per message, and this
 * process's copies are closed once the child says every socket is in its place, or when it exits.
 *
 * Node would close its copy of each on the child's internal acknowledgement by itself (without
 * keepOpen), but a child that dies before acknowledging leaves that copy open for good (and the
 * client never sees the connection end); and a net.Server's count of connections goes wrong when
 * the user then destroys the socket. So the sockets go with keepOpen and are destroyed here: the
 * parent's net.Socket emits 'close' when the connection is the child's alone.
 */
function handOver(sockets: readonly Socket[], child: ChildProcess): void {
  for (const socket of sockets) {
    markHandedOver(socket);
    stopReading(socket);
  }
  const letGo = (): void => {
    child.off('message', onMessage);
    for (const socket of sockets) socket.destroy();
  };
  const onMessage = (raw: unknown): void => {
    if (raw === PLACED_TEXT) letGo();
  };
  child.on('message', onMessage);
  child.once('exit', letGo);
}

/**
 * Stops this process reading from a socket that now belongs to a child: bytes read here would never
 * reach it. pause() alone goes on filling the socket's buffer up to its high-water mark, so the read
 * is stopped on the libuv handle, where Node's own pause() stops it for sockets made with `onread`.
 */
function stopReading(socket: Socket): void {
  socket.pause();
  const handle = (socket as unknown as { _handle?: { readStop?: () => number; reading?: boolean } | null })._handle;
  if (handle?.reading && typeof handle.readStop === 'function') {
    handle.reading = false;
    handle.readStop();
  }
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
  /** With the pid, who the child is in /proc, for waitSync() (null: it was gone at once). */
  readonly #startTime: number | null;
  /** Dropped once called: it holds what the child was given (its shared objects) until the child ends. */
  #onExit: ((returnCode: number) => void) | null;

  /** Forks the child and sends it `message`; `onExit` runs once with the return code. */
  constructor(message: StartMessage, onExit: (returnCode: number) => void) {
    const child = takeChild();
    if (child.pid === undefined) throw errors.spawnFailed(message.name);
    this.pid = child.pid;
    this.#child = child;
    const sockets = socketsOf(message);
    if (sockets.length > 0) handOver(sockets, child);
    this.#onExit = onExit;
    this.#startTime = startTimeOf(child.pid);
    child.once('exit', (code, signal) => this.#ended(toReturnCode(code, signal)));
    // The callback swallows EPIPE: a child that dies before reading still ends through 'exit'.
    child.send(toJsonText(message as unknown as Json), sockets[0], { keepOpen: true }, () => {});
    for (let i = 1; i < sockets.length; i++) child.send(socketMessageText(i), sockets[i], { keepOpen: true }, () => {});
    child.channel?.unref();
    child.unref();
  }

  /**
   * Blocks until the child has exited and returns its return code: only for the exit handling of a
   * process that is ending without its event loop (process.exit(), an uncaught error), where Node
   * will never report the exit (exit-status.ts). Null if that cannot be known.
   */
  waitSync(): number | null {
    if (this.#returnCode === null && this.#startTime !== null) {
      const code = waitForExitSync(this.pid, this.#startTime);
      if (code !== null) this.#ended(code);
    }
    return this.#returnCode;
  }

  #ended(returnCode: number): void {
    if (this.#returnCode !== null) return; // waitSync() came first
    this.#returnCode = returnCode;
    const onExit = this.#onExit;
    this.#onExit = null;
    onExit?.(returnCode);
    for (const wake of [...this.#waiters]) wake();
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
