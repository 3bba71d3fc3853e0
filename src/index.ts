/** The public API: Python's multiprocessing Process on Node.js, with real OS processes. */
export { Process, activeChildren, currentProcess, parentProcess, type ParentProcess } from './process';
export { setStandby, stopStandby, type StandbyOptions } from './standby';
export { Lock, RLock, type AcquireOptions } from './synchronize';
export { Value, type Typecode, type ValueOf, type ValueOptions } from './sharedctypes';
export { Queue, JoinableQueue, type QueueWaitOptions } from './queues';
export { Pipe, Connection } from './connection';
export {
  TcpServer,
  upperCaseEcho,
  KILL_AFTER_MS,
  type TcpServerOptions,
  type CloseOptions,
  type HandlerInfo,
  type TcpServerEvents,
} from './tcp-server';
export { TcpClient, ConnectionEndedError, echoOnce, type ConnectOptions, type WaitOptions } from './tcp-client';
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
