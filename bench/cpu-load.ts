/**
 * CPU load for the loaded rows of a bench: busy-looping Node processes, as `npm run test:loaded`
 * uses (scripts/test-loaded.ts), two per core by default, so that every start the bench measures
 * competes for the CPUs as on a busy CI runner. They are plain children (not detached), so they
 * stay in the bench's process group; stop() kills them and waits until each has exited, and an
 * 'exit' listener SIGKILLs any still running if the bench ends otherwise (an error, Ctrl-C).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

export interface CpuLoad {
  /** The burners' pids: the bench leaves them out of its memory figures. */
  readonly pids: ReadonlySet<number>;
  /** Kills every burner and resolves once all have exited. */
  stop(): Promise<void>;
}

export async function startCpuLoad(count: number): Promise<CpuLoad> {
  const burners: ChildProcess[] = [];
  const killNow = (): void => {
    for (const b of burners) if (b.exitCode === null && b.signalCode === null) b.kill('SIGKILL');
  };
  process.on('exit', killNow);
  for (let i = 0; i < count; i++) {
    burners.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore', detached: false }));
  }
  // Each burner must be running (not just forked) before anything is measured against it.
  await Promise.all(burners.map((b) => new Promise<void>((resolve, reject) => b.once('spawn', resolve).once('error', reject))));
  await sleep(500); // the burners' own boot would otherwise count against the first measure
  return {
    pids: new Set(burners.map((b) => b.pid ?? -1)),
    async stop() {
      const exited = burners.map((b) =>
        b.exitCode !== null || b.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => b.once('exit', () => resolve())),
      );
      killNow();
      await Promise.all(exited);
      process.removeListener('exit', killNow);
    },
  };
}
