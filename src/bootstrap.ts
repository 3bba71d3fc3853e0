/** The entry point of every child: receive the start message, become that process, run it (CPython's _bootstrap). */
import { inspect } from 'node:util';
import { becomeChild, joinChildrenAtExit } from './process';
import { flushQueues } from './queues';
import { PLACED_TEXT, READY_TEXT, decodeSocketMessage, decodeStart, placeSockets, type StartMessage } from './reduction';

/**
 * What the bootstrap uses of the process it runs in: `process` itself in a child. Unit tests pass
 * a stand-in, so the child's logic runs (and is measured) inside the test process.
 */
export interface ChildHost {
  readonly stderr: { write(text: string): unknown };
  readonly channel?: { unref(): unknown } | null;
  on(event: 'uncaughtException', listener: (error: unknown) => void): unknown;
  /** `handle`: a socket that came attached to the message (wire format: src/reduction.ts). */
  once(event: 'message', listener: (raw: unknown, handle?: unknown) => void): unknown;
  /**
   * Tells the parent that this child has booted, and later that the sockets are in place (absent: no
   * parent to tell). The callback takes the error of a parent that is gone, which is not this child's.
   */
  send?(message: string, callback: (error: Error | null) => void): unknown;
  exit(code?: number): never;
}

/** Waits for the start message on `host`, then becomes that process, runs it and exits. */
export function main(host: ChildHost): void {
  let name = '<unknown>'; // the child's name once the start message is read, for error reports

  /** CPython prints `Process <name>:` and the traceback, then exits with 1. */
  function fail(error: unknown): never {
    // inspect() prints an Error as its stack, followed by its own properties and its cause, if any.
    const stack = inspect(error);
    // stderr is synchronous for files, pipes and terminals on Linux, so nothing is lost by exiting.
    host.stderr.write(`Process ${name}:\n${stack}\n`);
    host.exit(1);
  }

  async function bootstrap(message: StartMessage): Promise<void> {
    name = message.name;
    // The channel stays open so parentProcess().isAlive() can see the parent die, but it must not
    // keep this child alive: the child lives as long as its run() has work, as in Python.
    host.channel?.unref();
    // Errors that escape run() later (a timer callback, an unhandled rejection) end the child as a
    // synchronous throw would.
    host.on('uncaughtException', fail);
    const self = becomeChild(message);
    let failure: { error: unknown } | undefined;
    try {
      await self.run();
    } catch (error) {
      failure = { error };
    }
    // As CPython's _bootstrap: join (or terminate, if daemonic) our own children, even after a
    // failure, and write out what this process put in queues (CPython joins its feeder threads).
    await joinChildrenAtExit();
    await flushQueues();
    if (failure) fail(failure.error);
    // No argument: a run() that set process.exitCode keeps it (a Node idiom); otherwise 0.
    host.exit();
  }

  // once(): the listener goes away after each message, which also un-refs the channel. A start
  // message that lists sockets is followed by one message per socket after the first, each with
  // its socket: the next listener is added before this one returns, so none is missed (Node emits
  // each message on a tick of its own).
  let message: StartMessage | undefined;
  const received: unknown[] = [];
  const receive = (raw: unknown, handle?: unknown): void => {
    try {
      if (message === undefined) message = decodeStart(raw);
      else decodeSocketMessage(raw, received.length);
      if (message.sockets.length > 0) received.push(handle);
      if (received.length < message.sockets.length) {
        host.once('message', receive);
        return;
      }
      placeSockets(message, received);
      if (received.length > 0) host.send?.(PLACED_TEXT, ignore);
    } catch (error) {
      fail(error);
      return; // (a stand-in host's exit() returns)
    }
    bootstrap(message).catch(fail);
  };
  host.once('message', receive);
  // Booted: a spare's parent now knows that a start() handed to it runs at once (src/standby.ts).
  host.send?.(READY_TEXT, ignore);
}

const ignore = (): void => {};

// Only as a child's main module (fork() runs this file); imported, e.g. by a test, it does nothing.
if (require.main === module) main(process);
