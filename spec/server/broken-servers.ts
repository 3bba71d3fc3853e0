/**
 * Deliberately wrong echo servers, as breakages of ours (spec/adapters/broken.ts merges them in;
 * `npm run prove` checks that T1-T3 catch them, naming the fault): the echoServer program runs
 * with fixtures/ts/broken-runtimes/echo-server.ts preloaded, which breaks one thing.
 */
import type { Breakage } from '../adapters/broken';
import { DIST } from '../harness/paths';

const PATCH = `${DIST}/fixtures/ts/broken-runtimes/echo-server.js`;

function serverBreakage(variant: string, description: string, catches: Record<string, RegExp>): Breakage {
  return {
    catches,
    description,
    wrap: (a) => ({
      ...a,
      program: (name, args) => {
        const command = a.program(name, args);
        if (name !== 'echoServer') return command;
        return { ...command, args: ['-r', PATCH, ...command.args], env: { ...command.env, KIT_BROKEN_SERVER: variant } };
      },
    }),
  };
}

export const SERVER_BREAKAGES: Record<string, Breakage> = {
  'server-decodes-per-chunk': serverBreakage('decode-per-chunk', 'the echo server decodes every read on its own, as the seed does', {
    T1: /the echo of .* cut after byte \d+: expected .*, got .*\uFFFD/,
  }),
  'server-in-one-process': serverBreakage('one-process', 'every connection is served in the server process itself', {
    T2: /distinct handler pids among \d+ clients served at once .*: expected \d+, got 1/,
  }),
  'server-one-at-a-time': serverBreakage('one-at-a-time', 'the server drops a connection that comes while another is open', {
    T2: /the connection ended before a whole line came back|ECONNRESET/,
  }),
  'server-leaves-handlers': serverBreakage('leaves-handlers', 'closing the server exits at once, leaving its handlers running', {
    T3: /after the server program ended \(pid \d+\) was still running/,
  }),
};
