/**
 * What each Worker runs: one fixture task, named in its workerData, then the thread exits (code 0),
 * as a process ends with its task. An error the task throws ends the thread with code 1 (Node's
 * 'error' event); process.exit(n) in a task ends the thread only, with code n.
 */
import { workerData } from 'node:worker_threads';

const { tasks, task, args } = workerData as { tasks: string; task: string | null; args: unknown[] };

async function main(): Promise<void> {
  if (task === null) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module is named at run time
  const fn = (require(tasks) as Record<string, unknown>)[task];
  if (typeof fn !== 'function') throw new Error(`no task '${task}' in ${tasks}`);
  await fn(...args);
}

void main().then(() => process.exit(0));
