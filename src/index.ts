/** The public API: Python's multiprocessing Process on Node.js, with real OS processes. */
export { Process, activeChildren, currentProcess, parentProcess, type ParentProcess } from './process';
export { stopStandby } from './standby';
export { Lock, RLock, type AcquireOptions } from './synchronize';
export { Value, type Typecode, type ValueOf, type ValueOptions } from './sharedctypes';
export { Queue, JoinableQueue, type QueueWaitOptions } from './queues';
export { Pipe, Connection } from './connection';
export type { JoinOptions, ProcessOptions, Task } from './options';
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
  NotHeldError,
  NotOwnerError,
  NoLockError,
  Full,
  Empty,
  QueueClosedError,
  TooManyTaskDoneError,
  EndOfFileError,
  ConnectionClosedError,
  ReadOnlyError,
  SharedMemoryError,
  StillRunningError,
  UnknownTaskError,
  isProcessError,
  type ProcessErrorCode,
} from './errors';
