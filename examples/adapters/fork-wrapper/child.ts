/**
 * The child's entry, what start() forks: it waits for the start message, becomes the process it
 * describes, runs it and exits as a CPython child does: 0 when run() returns, n after exit(n), 1
 * after an uncaught error (printed as `Process <name>:` and the error), 1 after SIGINT (CPython's
 * KeyboardInterrupt), and minus the signal's number when another signal ends it.
 */
import { inspect } from 'node:util';
import { Process, _becomeChild, _endChildren, type Reference, type StartMessage } from './process';

let name: unknown = '<unknown>';

function fail(error: unknown): never {
  process.stderr.write(`Process ${String(name)}:\n${typeof error === 'string' ? error : inspect(error)}\n`);
  process.exit(1);
}

function load(ref: Reference): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- what to load is known at run time only
  const exported = (require(ref.module) as Record<string, unknown>)[ref.name];
  if (exported === undefined) throw new Error(`${ref.module} has no export '${ref.name}'`);
  return exported;
}

async function main(message: StartMessage): Promise<void> {
  name = message.name;
  process.disconnect(); // the channel only carries the start message
  process.on('uncaughtException', fail); // an error that escapes run() later, from a timer or a rejection
  // Node cannot raise inside running code; when the event loop gets the signal, the child ends as
  // CPython's does after KeyboardInterrupt. A task that never yields is not interrupted.
  process.on('SIGINT', () => fail('KeyboardInterrupt'));
  _becomeChild(message);
  const target = message.target && load(message.target);
  const cls = message.subclass ? (load(message.subclass) as typeof Process) : Process;
  const self = _becomeChild(message, cls, target);
  let failure: { error: unknown } | undefined;
  try {
    await self.run();
  } catch (error) {
    failure = { error };
  }
  await _endChildren();
  if (failure) fail(failure.error);
  process.exit(0);
}

process.once('message', (message) => {
  main(message as StartMessage).catch(fail);
});
