/**
 * The children of `bench/queues.ts` (ours): producers and echoes for the queue and pipe bench.
 * They mirror the child functions of bench/python/queues.py line for line, so both sides pay for
 * the same work. Children load compiled JavaScript only: these run as dist/bench/queue-tasks.js.
 *
 * Every producer ends with one more item, its own memory figures ({ rssStartKb, hwmKb }, read from
 * /proc/self/status): the parent checks the items before it and reads the figures from that one.
 */
import { readFileSync } from 'node:fs';
import type { Connection, Json, Queue } from '../src';

/** VmRSS and VmHWM (peak resident set) of this process, in kB. */
export function memory(): { rssKb: number; hwmKb: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s*(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

/** 1 and 3. Puts the integers 0 .. n-1, then its memory figures. */
export async function produce(queue: Queue, n: number): Promise<void> {
  const rssStartKb = memory().rssKb;
  for (let i = 0; i < n; i++) await queue.put(i);
  await queue.put({ rssStartKb, hwmKb: memory().hwmKb } as Json);
}

/** 1b. Sends the integers 0 .. n-1 down a one-way pipe, then its memory figures. */
export async function sendAll(conn: Connection, n: number): Promise<void> {
  const rssStartKb = memory().rssKb;
  for (let i = 0; i < n; i++) await conn.send(i);
  await conn.send({ rssStartKb, hwmKb: memory().hwmKb } as Json);
  conn.close();
}

/** 2a. Takes n items from `there` and puts each back into `back`. */
export async function echoQueue(there: Queue, back: Queue, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await back.put(await there.get());
  await back.flushed();
}

/** 2b. Receives n items on a duplex pipe's end and sends each back. */
export async function echoPipe(conn: Connection, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await conn.send(await conn.recv());
  conn.close();
}
