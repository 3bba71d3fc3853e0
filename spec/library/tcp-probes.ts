/**
 * What the socket and TCP server tests look at from outside the library, in /proc: which process
 * holds a descriptor of which TCP connection (so "the parent closed its copy" is seen, not
 * assumed), a process's resident memory, and whether a pid has ended.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { identify, hasEnded, type ProcessId } from '../harness/proc';

interface TcpEntry {
  localPort: number;
  remotePort: number;
  /** The kernel's state number: 0A listening, 01 established, 06 TIME_WAIT, ... */
  state: string;
  inode: number;
}

/** The TCP sockets of this network namespace (IPv4 and IPv6), from /proc/net/tcp and tcp6. */
function tcpTable(): TcpEntry[] {
  const entries: TcpEntry[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const port = (address: string): number => parseInt(address.slice(address.lastIndexOf(':') + 1), 16);
      entries.push({ localPort: port(fields[1]!), remotePort: port(fields[2]!), state: fields[3]!, inode: Number(fields[9]) });
    }
  }
  return entries;
}

/** The socket inodes process `pid` holds descriptors of (in any state: a closed connection leaves /proc/net/tcp, not the process). */
export function socketInodes(pid: number | 'self'): Set<number> {
  const inodes = new Set<number>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes; // gone
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(Number(m[1]));
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/**
 * Descriptors process `pid` holds of TCP sockets with `port` at either end (a listening socket, or
 * either side of a connection), as `local->remote` port pairs.
 */
export function tcpHeldBy(pid: number | 'self', port: number): string[] {
  const mine = socketInodes(pid);
  return tcpTable()
    .filter((e) => e.inode !== 0 && mine.has(e.inode) && (e.localPort === port || e.remotePort === port))
    .map((e) => `${e.localPort}->${e.remotePort}`);
}

const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};

/** Sockets with `port` as their own port that some process still holds (a socket no process holds has inode 0), by state. */
export const heldOnPort = (port: number): string[] =>
  tcpTable()
    .filter((e) => e.localPort === port && e.inode !== 0)
    .map((e) => `${TCP_STATES[e.state] ?? e.state} ${e.localPort}->${e.remotePort}`);

/** Connections of `port` in TIME_WAIT on its side: what a rebind without SO_REUSEADDR trips over. */
export const timeWaitsOn = (port: number): number => tcpTable().filter((e) => e.localPort === port && e.state === '06').length;

/** VmRSS (now) and VmHWM (peak) of a process in kB (0 once it is gone). */
export function memoryKb(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s*(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: field('VmRSS'), peak: field('VmHWM') };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

/** Resolves once `pid` has ended (gone, or a zombie with no threads left); rejects after `ms`, naming `what`. */
export async function ended(id: ProcessId | null, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (id !== null && !hasEnded(id)) {
    if (Date.now() > deadline) throw new Error(`${what} did not end within ${ms} ms`);
    await sleep(5);
  }
}

/** The identity of a pid now, or a clear failure when it does not exist. */
export function mustIdentify(pid: number, what: string): ProcessId {
  const id = identify(pid);
  if (id === null) throw new Error(`${what} (pid ${pid}) does not exist`);
  return id;
}

/** Polls `test` every 5 ms; throws after `ms`, naming `what`. */
export async function until(test: () => boolean, ms: number, what: string): Promise<void> {
  for (const deadline = Date.now() + ms; !test(); await sleep(5)) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
  }
}
