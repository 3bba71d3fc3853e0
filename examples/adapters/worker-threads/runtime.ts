/**
 * The implementation module the kit's Node fixtures see (fixtures/ts/implementation.ts, through
 * FIXTURE_RUNTIME_ENV) when the "processes" are node:worker_threads. worker_threads has no Process
 * class and no thread names (Node 20), and a thread's process.pid is its process's, the parent's:
 * this module says so rather than inventing them. The fixture subclasses can be declared (they
 * extend this Process) but never constructed; the fixture programs, which construct one, stop with
 * this error.
 */
export const NO_NAME = '(no name: worker_threads has no thread names)';

export class Process {
  constructor() {
    throw Object.assign(new Error("worker_threads has no Process class: a Worker runs a script, never an object's run()"), {
      code: 'ERR_MP_MISSING_MEMBER',
    });
  }
}

/** The thread this code runs in, as far as worker_threads can say: the pid of the process it is in, and no name. */
export function currentProcess(): { pid: number; name: string } {
  return { pid: process.pid, name: NO_NAME };
}
