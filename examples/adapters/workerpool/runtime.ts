/**
 * The implementation module the kit's Node fixtures see (fixtures/ts/implementation.ts, through
 * FIXTURE_RUNTIME_ENV) when the implementation is workerpool. workerpool has no Process class, no
 * process names and no parent-process call, and this module says so rather than inventing them:
 * the fixture subclasses can be declared (they extend this Process) but never constructed, and the
 * fixture programs, which construct a Process, stop with this error.
 */
export const NO_NAME = '(no name: workerpool has no process names)';

export class Process {
  constructor() {
    throw Object.assign(
      new Error(
        "workerpool has no Process class: a worker runs registered functions (or a function's source text), never an object's run()",
      ),
      { code: 'ERR_MP_MISSING_MEMBER' },
    );
  }
}

/** The process this code runs in: its pid, and no name, for workerpool has none. */
export function currentProcess(): { pid: number; name: string } {
  return { pid: process.pid, name: NO_NAME };
}
