/**
 * Temp folders a process tree holds sockets in, found from outside: a program killed by a signal
 * removes nothing, so the spec that killed it removes them (spec/harness/orphans.ts).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';

/**
 * The folders directly in the temp folder holding a Unix socket that one of `pids` has open, read
 * from /proc/<pid>/fd and /proc/net/unix: under CPython's forkserver, the program's pymp-* folder
 * with the server's listening socket.
 */
export function socketFoldersOf(pids: readonly number[]): string[] {
  const inodes = new Set<string>();
  for (const pid of pids) {
    for (const fd of entriesOf(`/proc/${pid}/fd`)) {
      const socket = /^socket:\[(\d+)\]$/.exec(linkOf(`/proc/${pid}/fd/${fd}`));
      if (socket) inodes.add(socket[1]!);
    }
  }
  const folders = new Set<string>();
  // Columns: Num RefCount Protocol Flags Type St Inode Path (the path only for a bound socket).
  for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
    const [, , , , , , inode, socketPath] = line.trim().split(/\s+/);
    if (inode && socketPath && inodes.has(inode) && dirname(dirname(socketPath)) === resolve(tmpdir())) folders.add(dirname(socketPath));
  }
  return [...folders];
}

const entriesOf = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return []; // the process ended in between
  }
};
const linkOf = (file: string): string => {
  try {
    return readlinkSync(file);
  } catch {
    return '';
  }
};
