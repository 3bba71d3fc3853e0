/** The public API: Python's multiprocessing Process on Node.js, with real OS processes. */
export { Process, activeChildren, currentProcess, parentProcess, type ParentProcess } from './process';
export { stopStandby } from './standby';
export type { JoinOptions, ProcessOptions, Task } from './util';
export type { Json, TaskRef } from './reduction';
export {
  AbortError,
  AlreadyStartedError,
  BootstrappingError,
  ClosedError,
  DaemonChildrenError,
  InvalidOptionError,
  NotSendableError,
  NotStartedError,
  ProcessError,
  SpawnError,
  StillRunningError,
  UnknownTaskError,
  isProcessError,
  type ProcessErrorCode,
} from './errors';
