/**
 * A TCP server that serves every connection in a process of its own: the echo server of seeds 003
 * and 004 (accept, then `Process(target=task, args=(conn,)).start()`) as a library component.
 *
 *   const server = await TcpServer.listen({ port: 0 });   // default handler: upperCaseEcho
 *   server.port;                                          // the port the OS chose
 *   await server.close();                                 // stop accepting, wait for the handlers
 *
 * The accepted connection travels to the handler's process among its arguments (wire format:
 * src/reduction.ts); this process never reads from it (pauseOnConnect) and keeps no copy of it, so
 * the client sees the connection end exactly when its handler ends. Where the seed goes wrong, and
 * what this does instead: it decodes each received chunk on its own, so a character whose UTF-8
 * bytes arrive in two reads breaks (here: one decoder per connection, as a stream); its parent keeps
 * a copy of each connection until the next accept; it has no way to stop.
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import { AbortError, InvalidOptionError, describeValue, errors } from './errors';
import type { Task } from './options';
import { Process, currentProcess } from './process';
import { encodeStart } from './reduction';

export interface TcpServerOptions {
  /** Where to listen. Default '127.0.0.1': serving other machines is a decision, not a default. */
  host?: string;
  /** Default 0: the OS picks a free port (read it from `server.port`). */
  port?: number;
  /**
   * What each connection's process runs: `handler(socket, ...handlerArgs)`, a function exported by
   * a module (it travels by reference, as every target does). The process ends when it returns
   * (or its Promise settles), so it should return once the socket has closed. Default: upperCaseEcho.
   */
  handler?: Task;
  /** JSON values (or shared objects) passed to every handler after the socket. */
  handlerArgs?: readonly unknown[];
  /**
   * At most this many handler processes at once (default: no limit). Connections beyond it wait,
   * unread, in arrival order, until a handler ends; a waiting client is delayed, never refused.
   */
  maxHandlers?: number;
  /** The listen backlog (Node's default when absent). */
  backlog?: number;
  /** Aborting it before listening rejects listen() with AbortError; afterwards it closes the server at once (`close({ timeout: 0 })`). */
  signal?: AbortSignal;
}

export interface CloseOptions {
  /**
   * Milliseconds to let the handlers end by themselves (their clients close) before they are
   * terminated (SIGTERM, then SIGKILL after KILL_AFTER_MS). Default: wait as long as they run, as
   * net.Server's close() waits for its connections; 0 terminates them at once.
   */
  timeout?: number;
}

/** One connection's handler process. */
export interface HandlerInfo {
  pid: number;
  remoteAddress: string;
  remotePort: number;
}

export interface TcpServerEvents {
  /** A connection was handed to its own, just started, handler process. */
  handlerStart: [HandlerInfo];
  /** That process has ended (and been joined): exitCode as Process.exitCode (-15 after SIGTERM). */
  handlerExit: [HandlerInfo & { exitCode: number }];
  /** An accept failed, or a handler process could not be started (its connection is closed). */
  error: [Error];
}

/** How long a terminated handler has to exit before it is killed. */
export const KILL_AFTER_MS = 2000;

const OPTION_KEYS = new Set(['host', 'port', 'handler', 'handlerArgs', 'maxHandlers', 'backlog', 'signal']);

interface Live {
  info: HandlerInfo;
  /** Settles once the process has ended and been joined. */
  ended: Promise<void>;
}

export class TcpServer extends EventEmitter<TcpServerEvents> {
  readonly #server: net.Server;
  readonly #handler: Task;
  readonly #handlerArgs: readonly unknown[];
  readonly #maxHandlers: number;
  readonly #live = new Map<Process, Live>();
  readonly #waiting: net.Socket[] = [];
  #closing: Promise<void> | null = null;
  #terminated = false;
  #unlistenAbort: () => void = () => {};
  #address: net.AddressInfo | undefined;

  /** Listens on `host`:`port` and resolves once connections are being accepted. */
  static async listen(options: TcpServerOptions = {}): Promise<TcpServer> {
    const o = checkListenOptions(options);
    if (o.signal?.aborted) throw new AbortError(undefined, { cause: o.signal.reason });
    const server = new TcpServer(o);
    const listening = server.#server;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        o.signal?.removeEventListener('abort', onAbort);
        reject(error);
      };
      const onAbort = (): void => {
        listening.off('error', onError);
        listening.close();
        reject(new AbortError(undefined, { cause: o.signal?.reason }));
      };
      listening.once('error', onError);
      o.signal?.addEventListener('abort', onAbort, { once: true });
      listening.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 0, backlog: o.backlog }, () => {
        listening.off('error', onError);
        o.signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
    listening.on('error', (error) => server.emit('error', error));
    const { signal } = o;
    if (signal) {
      const onAbort = (): void => void server.close({ timeout: 0 });
      signal.addEventListener('abort', onAbort, { once: true });
      server.#unlistenAbort = () => signal.removeEventListener('abort', onAbort);
    }
    return server;
  }

  private constructor(o: TcpServerOptions) {
    super();
    this.#handler = o.handler ?? upperCaseEcho;
    this.#handlerArgs = o.handlerArgs ?? [];
    this.#maxHandlers = o.maxHandlers ?? Infinity;
    // A handler that cannot reach a child fails here, once, rather than at every connection.
    encodeStart({
      target: this.#handler,
      subclass: null,
      instance: {},
      args: [null, ...this.#handlerArgs],
      kwargs: null,
      name: 'TcpServer handler',
      daemon: false,
      identity: [],
      parent: { pid: process.pid, name: currentProcess().name },
    });
    // pauseOnConnect: this process reads nothing, so every byte the client sends reaches the handler.
    this.#server = net.createServer({ pauseOnConnect: true, noDelay: true }, (socket) => this.#accept(socket));
  }

  /** The address listened on (while listening; the last one after close()). */
  address(): net.AddressInfo {
    this.#address ??= this.#server.address() as net.AddressInfo;
    return this.#address;
  }

  get port(): number {
    return this.address().port;
  }

  /** The handler processes running now. */
  get handlers(): HandlerInfo[] {
    return [...this.#live.values()].map((l) => l.info);
  }

  /**
   * Stops accepting at once (the port is free when this returns), closes connections still waiting
   * for a handler, and resolves once every handler process has ended and been joined: nothing of
   * the server is left. Called again, it returns the same Promise; a shorter timeout still applies.
   */
  close(options: CloseOptions = {}): Promise<void> {
    let timeout: number;
    try {
      ({ timeout } = checkCloseOptions(options));
    } catch (error) {
      return Promise.reject(error as Error); // a Promise-returning method never throws
    }
    if (this.#closing === null) {
      this.address(); // kept for address() after close
      this.#unlistenAbort();
      // Not waiting for net.Server's 'close': once a socket has gone to a child that has since
      // exited, Node never emits it (its count of connections lent to children stays one up).
      this.#server.close();
      for (const socket of this.#waiting.splice(0)) socket.destroy();
      this.#closing = this.#drain();
    }
    if (timeout <= 0x7fffffff) {
      const timer = setTimeout(() => this.#terminate(), timeout);
      void this.#closing.finally(() => clearTimeout(timer));
    }
    return this.#closing;
  }

  async #drain(): Promise<void> {
    while (this.#live.size > 0) await Promise.all([...this.#live.values()].map((l) => l.ended));
  }

  /** SIGTERM to every handler; SIGKILL to those still running KILL_AFTER_MS later. */
  #terminate(): void {
    if (this.#terminated) return;
    this.#terminated = true;
    for (const p of this.#live.keys()) p.terminate();
    const timer = setTimeout(() => {
      for (const p of this.#live.keys()) p.kill();
    }, KILL_AFTER_MS);
    void this.#closing?.finally(() => clearTimeout(timer));
  }

  #accept(socket: net.Socket): void {
    if (this.#closing !== null) {
      socket.destroy();
      return;
    }
    if (this.#live.size >= this.#maxHandlers) this.#waiting.push(socket);
    else this.#serve(socket);
  }

  #serve(socket: net.Socket): void {
    // Read now: once the socket has gone to the child, this process's copy has no address.
    const remoteAddress = socket.remoteAddress ?? '';
    const remotePort = socket.remotePort ?? 0;
    const p = new Process({
      target: this.#handler,
      args: [socket, ...this.#handlerArgs],
      name: `TcpServer handler of ${remoteAddress}:${remotePort}`,
    });
    try {
      p.start();
    } catch (error) {
      socket.destroy();
      this.emit('error', error as Error);
      return;
    }
    const info: HandlerInfo = { pid: p.pid as number, remoteAddress, remotePort };
    const ended = p.join().then(() => {
      const exitCode = p.exitCode as number;
      p.close();
      this.#live.delete(p);
      this.emit('handlerExit', { ...info, exitCode });
      const next = this.#waiting.shift();
      if (next) this.#serve(next);
    });
    this.#live.set(p, { info, ended });
    this.emit('handlerStart', info);
  }
}

/** How long an idle connection may go unheard before the kernel probes the peer (keepalive). */
const KEEPALIVE_MS = 30_000;

/**
 * The default handler: echoes everything the client sends, upper-cased, until the client closes
 * its side; then closes ours. Bytes are decoded as one UTF-8 stream per connection, so a character
 * whose bytes arrive in two reads comes back whole. Invalid UTF-8 is not an error: each maximal
 * ill-formed subsequence becomes one U+FFFD (the WHATWG decoder's rule, which Python's 'replace'
 * error handler follows too), echoed as the bytes EF BF BD; so is a sequence cut off by the
 * client's end. A byte order mark is echoed like any character. Upper-casing is JavaScript's
 * toUpperCase() (Unicode's full mappings: 'ß' becomes 'SS').
 *
 * Back-pressure: when the client does not read, reading stops until what was sent has drained, so
 * this process holds at most a socket buffer's worth, whatever the client sends. The handler ends
 * when the connection closes: after our end, or when the client resets it or vanishes (keepalive
 * probes find a peer that is gone without a word).
 */
export async function upperCaseEcho(socket: net.Socket): Promise<void> {
  // Half-open: the client's end of input is not the end of our output; the decoder's tail goes first.
  socket.allowHalfOpen = true;
  socket.setNoDelay(true);
  socket.setKeepAlive(true, KEEPALIVE_MS);
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  await new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      const text = decoder.decode(chunk, { stream: true });
      if (text !== '' && !socket.write(text.toUpperCase())) {
        socket.pause();
        socket.once('drain', () => socket.resume());
      }
    });
    socket.on('end', () => socket.end(decoder.decode().toUpperCase()));
    // A reset or a failed write ends the connection; 'close' follows and ends the handler.
    socket.on('error', () => {});
    socket.on('close', () => resolve());
  });
}

function checkListenOptions(options: unknown): TcpServerOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw errors.invalidValue('TcpServer.listen()', 'its options', 'an object', options);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw new InvalidOptionError(`TcpServer.listen() got an unknown option '${key}'`);
  }
  const o = options as Record<keyof TcpServerOptions, unknown>;
  const bad = (key: keyof TcpServerOptions, expected: string): Error =>
    errors.invalidValue('TcpServer.listen()', `the '${key}' option`, expected, o[key]);
  const whole = (n: unknown, min: number, max: number): boolean => Number.isInteger(n) && (n as number) >= min && (n as number) <= max;
  if (o.host !== undefined && typeof o.host !== 'string') throw bad('host', 'a string');
  if (o.port !== undefined && !whole(o.port, 0, 65535)) throw bad('port', 'an integer from 0 to 65535');
  if (o.handler !== undefined && typeof o.handler !== 'function') throw bad('handler', 'a function exported by a module');
  if (o.handlerArgs !== undefined && !Array.isArray(o.handlerArgs)) throw bad('handlerArgs', 'an array');
  if (o.maxHandlers !== undefined && o.maxHandlers !== Infinity && !whole(o.maxHandlers, 1, Number.MAX_SAFE_INTEGER)) {
    throw bad('maxHandlers', 'a positive integer or Infinity');
  }
  if (o.backlog !== undefined && !whole(o.backlog, 0, 0x7fffffff)) throw bad('backlog', 'a non-negative integer');
  // By shape, not instanceof: Jest's test realm has AbortSignals of its own.
  const signal = o.signal as Partial<AbortSignal> | null | undefined;
  if (o.signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.addEventListener !== 'function')) {
    throw bad('signal', 'an AbortSignal');
  }
  return options as TcpServerOptions;
}

function checkCloseOptions(options: unknown): { timeout: number } {
  if (typeof options !== 'object' || options === null) throw errors.invalidValue('TcpServer.close()', 'its options', 'an object', options);
  const { timeout = Infinity } = options as CloseOptions;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw new InvalidOptionError(`TcpServer.close() expected the 'timeout' option to be a number >= 0, got ${describeValue(timeout)}`);
  }
  return { timeout };
}
