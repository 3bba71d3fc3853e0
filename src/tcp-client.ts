/**
 * A small TCP client for talking to an echo server (the seeds' client, with Promises): connect,
 * send text, read the reply, close. examples/echo-server.ts, the tests and bench/tcp-server.ts use it.
 *
 *   const client = await TcpClient.connect({ port });
 *   await client.request('hello');   // 'HELLO': one line out, one line back
 *   await client.finish();           // half-close; resolves with what came back until the server closed
 *
 * Replies are read as bytes and decoded as one UTF-8 stream (invalid bytes become U+FFFD), so a
 * character is never cut where TCP happened to split the stream. A line ends at the byte 0x0A,
 * which never occurs inside a multi-byte UTF-8 character.
 */
import * as net from 'node:net';
import { AbortError, InvalidOptionError, describeValue, errors } from './errors';

export interface ConnectOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  port: number;
  signal?: AbortSignal;
}

export interface WaitOptions {
  /** Aborting rejects the wait with AbortError; the connection stays as it is. */
  signal?: AbortSignal;
}

/** The server closed the connection (or reset it) before the reply a call waited for. */
export class ConnectionEndedError extends Error {
  readonly code = 'ERR_TCP_CONNECTION_ENDED' as const;
}
Object.defineProperty(ConnectionEndedError.prototype, 'name', {
  value: 'ConnectionEndedError',
  writable: true,
  configurable: true,
  enumerable: false,
});

const NEWLINE = 0x0a;

export class TcpClient {
  readonly #socket: net.Socket;
  readonly #localPort: number;
  /** What arrived and was not taken yet; chunks before #scanned hold no newline. */
  #chunks: Buffer[] = [];
  #scanned = 0;
  /** The server sent its end (or the connection closed). */
  #ended = false;
  #failure: Error | null = null;
  readonly #wake = new Set<() => void>();
  /** Resolves once the connection is fully closed, both ways. */
  readonly closed: Promise<void>;

  /** Connects to `host`:`port`; resolves once the connection is established. */
  static connect(options: ConnectOptions): Promise<TcpClient> {
    const { host = '127.0.0.1', port, signal } = options;
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      return Promise.reject(errors.invalidValue('TcpClient.connect()', "the 'port' option", 'an integer from 1 to 65535', port));
    }
    if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port, noDelay: true });
      const settle = (): void => {
        socket.off('error', onError);
        signal?.removeEventListener('abort', onAbort);
      };
      const onError = (error: Error): void => {
        settle();
        reject(error);
      };
      const onAbort = (): void => {
        settle();
        socket.destroy();
        reject(new AbortError(undefined, { cause: signal?.reason }));
      };
      socket.once('error', onError);
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => {
        settle();
        resolve(new TcpClient(socket));
      });
    });
  }

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    this.#localPort = socket.localPort ?? 0;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#notify();
    });
    socket.on('end', () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on('error', (error) => {
      this.#failure = error;
      this.#notify();
    });
    socket.on('close', () => {
      this.#ended = true;
      this.#notify();
    });
  }

  /** This end's port: what the server sees as the remote port (kept after the connection has closed). */
  get localPort(): number {
    return this.#localPort;
  }

  /** Sends text (as UTF-8) or bytes; resolves once they are handed to the kernel. */
  write(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#socket.write(data, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Sends `line` and a newline; resolves with the next line that comes back, without its newline. */
  async request(line: string, options: WaitOptions = {}): Promise<string> {
    if (typeof line !== 'string' || line.includes('\n')) {
      throw new InvalidOptionError(`TcpClient.request() expected a line of text without a newline, got ${describeValue(line)}`);
    }
    await this.write(`${line}\n`);
    return this.readLine(options);
  }

  /** The next line received (up to the byte 0x0A, which is dropped), decoded. */
  readLine(options: WaitOptions = {}): Promise<string> {
    return this.#wait(options.signal, () => {
      const line = this.#takeLine();
      if (line !== undefined) return decode([line]);
      return this.#endedOr('TcpClient.readLine(): the connection ended before a whole line came back');
    });
  }

  /** Half-closes (no more to send) and resolves with everything received until the server closed, as text. */
  async finish(options: WaitOptions = {}): Promise<string> {
    return decode([await this.finishBytes(options)]);
  }

  /** As finish(), as bytes. */
  finishBytes(options: WaitOptions = {}): Promise<Buffer> {
    this.#socket.end();
    return this.#wait(options.signal, () => {
      if (this.#failure) throw this.#failure;
      if (!this.#ended) return undefined;
      const all = Buffer.concat(this.#chunks);
      this.#chunks = [];
      this.#scanned = 0;
      return all;
    });
  }

  /** Drops the connection at once, as a client that vanishes: unread replies make the kernel reset it. */
  destroy(): void {
    this.#socket.destroy();
  }

  /** Removes and returns the bytes up to the first newline, if one has arrived. */
  #takeLine(): Buffer | undefined {
    for (let i = this.#scanned; i < this.#chunks.length; i++) {
      const at = this.#chunks[i]!.indexOf(NEWLINE);
      if (at < 0) continue;
      const all = Buffer.concat(this.#chunks.slice(0, i + 1));
      const end = all.length - this.#chunks[i]!.length + at;
      const rest = all.subarray(end + 1);
      this.#chunks = [...(rest.length > 0 ? [rest] : []), ...this.#chunks.slice(i + 1)];
      this.#scanned = 0;
      return all.subarray(0, end);
    }
    this.#scanned = this.#chunks.length;
    return undefined;
  }

  /** Undefined while the connection is open (wait on); throws once it has ended or failed. */
  #endedOr(message: string): undefined {
    if (this.#failure) throw this.#failure;
    if (this.#ended) throw new ConnectionEndedError(message);
    return undefined;
  }

  /** Resolves with `take()`'s first value other than undefined, re-trying after each event on the socket. */
  #wait<T>(signal: AbortSignal | undefined, take: () => T | undefined): Promise<T> {
    if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    return new Promise<T>((resolve, reject) => {
      const settle = (): void => {
        this.#wake.delete(check);
        signal?.removeEventListener('abort', onAbort);
      };
      const check = (): void => {
        let got: T | undefined;
        try {
          got = take();
        } catch (error) {
          settle();
          reject(error as Error);
          return;
        }
        if (got === undefined) return;
        settle();
        resolve(got);
      };
      const onAbort = (): void => {
        settle();
        reject(new AbortError(undefined, { cause: signal?.reason }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#wake.add(check);
      check();
    });
  }

  #notify(): void {
    for (const check of [...this.#wake]) check();
  }
}

/** Connects, sends `text`, half-closes, and resolves with everything the server sent back. */
export async function echoOnce(text: string | Uint8Array, options: ConnectOptions): Promise<string> {
  const client = await TcpClient.connect(options);
  try {
    await client.write(text);
    return await client.finish({ signal: options.signal });
  } finally {
    client.destroy();
  }
}

function decode(chunks: Buffer[]): string {
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(Buffer.concat(chunks));
}
