/**
 * The workerpool worker script: registers every function the kit's fixture module exports (its
 * path comes as the first argument), classes aside, as a workerpool method of the same name.
 */
import * as workerpool from 'workerpool';

type Method = (...args: unknown[]) => unknown;

const tasksModule = process.argv[2];
if (!tasksModule) throw new Error('usage: worker.js <fixture tasks module>');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module is named at run time
const tasks = require(tasksModule) as Record<string, unknown>;
const isClass = (fn: Method): boolean => Function.prototype.toString.call(fn).startsWith('class');
const methods = Object.fromEntries(
  Object.entries(tasks).filter((entry): entry is [string, Method] => typeof entry[1] === 'function' && !isClass(entry[1] as Method)),
);

workerpool.worker(methods);
