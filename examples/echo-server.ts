/**
 * `npm run echo-server -- --port 0 [--host 127.0.0.1] [--grace 5000]`: the seeds' TCP echo server
 * (003, 004) on src/tcp-server.ts. Every connection is served by a process of its own, which
 * echoes what the client sends, upper-cased, until the client closes.
 *
 * Prints `listening on HOST:PORT` once it accepts connections (with --port 0, the port the OS
 * chose), then a line per handler process started and ended. SIGINT or SIGTERM closes it: it stops
 * accepting at once, lets the connections still open finish for up to --grace ms, then terminates
 * their handlers; a second signal terminates them at once. It exits 0 when every handler has been
 * joined: nothing of it is left running.
 */
import { Command, InvalidArgumentError } from 'commander';
import { TcpServer } from '../src';

function whole(what: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n > max) throw new InvalidArgumentError(`${what} must be an integer from 0 to ${max}`);
    return n;
  };
}

async function main(): Promise<void> {
  const options = new Command('echo-server')
    .description('TCP echo server: one process per connection, replies upper-cased')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <number>', 'port to listen on (0: any free port)', whole('the port', 65535), 0)
    .option(
      '--grace <ms>',
      'on SIGINT/SIGTERM, how long open connections may go on before their handlers are terminated',
      whole('the grace period', 0x7fffffff),
      5000,
    )
    .parse()
    .opts<{ host: string; port: number; grace: number }>();

  const server = await TcpServer.listen({ host: options.host, port: options.port });
  server.on('handlerStart', (h) => console.log(`handler ${h.pid} serves ${h.remoteAddress}:${h.remotePort}`));
  server.on('handlerExit', (h) => console.log(`handler ${h.pid} ended (exit code ${h.exitCode})`));
  // A failed accept or a handler that could not start costs one connection, not the server.
  server.on('error', (error) => console.error(`echo-server: ${error.message}`));
  const { address, port } = server.address();
  console.log(`listening on ${address}:${port}`);

  let signals = 0;
  const stop = (signal: NodeJS.Signals): void => {
    signals++;
    const open = server.handlers.length;
    console.log(
      signals === 1
        ? `${signal}: closing; ${open} connection(s) still open get ${options.grace} ms`
        : `${signal}: terminating ${open} handler(s) now`,
    );
    server.close({ timeout: signals === 1 ? options.grace : 0 }).then(
      () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        console.log('closed: every handler has ended');
      },
      (error: unknown) => {
        console.error(`echo-server: ${String(error)}`);
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`echo-server: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
