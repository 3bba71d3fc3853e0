/** The entry point of every child: receive the start message, become that process, run it (CPython's _bootstrap). */
import { inspect } from 'node:util';
import { becomeChild, joinChildrenAtExit } from './process';
import { decodeStart } from './reduction';

let name = '<unknown>'; // the child's name once the start message is read, for error reports

/** CPython prints `Process <name>:` and the traceback, then exits with 1. */
function fail(error: unknown): never {
  // inspect() prints an Error as its stack, followed by its own properties and its cause, if any.
  const stack = inspect(error);
  // stderr is synchronous for files, pipes and terminals on Linux, so nothing is lost by exiting.
  process.stderr.write(`Process ${name}:\n${stack}\n`);
  process.exit(1);
}

async function bootstrap(raw: unknown): Promise<void> {
  const message = decodeStart(raw);
  name = message.name;
  // The channel stays open so parentProcess().isAlive() can see the parent die, but it must not
  // keep this child alive: the child lives as long as its run() has work, as in Python.
  process.channel?.unref();
  // Errors that escape run() later (a timer callback, an unhandled rejection) end the child as a
  // synchronous throw would.
  process.on('uncaughtException', fail);
  const self = becomeChild(message);
  let failure: { error: unknown } | undefined;
  try {
    await self.run();
  } catch (error) {
    failure = { error };
  }
  // As CPython's _bootstrap: join (or terminate, if daemonic) our own children, even after a failure.
  await joinChildrenAtExit();
  if (failure) fail(failure.error);
  // No argument: a run() that set process.exitCode keeps it (a Node idiom); otherwise 0.
  process.exit();
}

// once(): the listener goes away after the first message, which also un-refs the channel.
process.once('message', (raw: unknown) => {
  bootstrap(raw).catch(fail);
});
