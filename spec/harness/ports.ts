/**
 * A free TCP port on loopback, for the server rules (T1-T3): the port the OS hands out for a listen
 * on port 0, released at once (what get-port does, without its ESM-only package: the compiled
 * specs the kit ships are CommonJS, and a CommonJS module cannot require an ES module on Node 20).
 */
import { createServer } from 'node:net';

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
