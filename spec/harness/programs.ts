/** Runs a fixture main program (Adapter.program) in a fresh process and captures what it printed. */
import { spawn } from 'node:child_process';
import type { ProgramCommand } from '../adapter';

export interface ProgramResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runProgram(command: ProgramCommand, timeout = 20_000): Promise<ProgramResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command.file, command.args, { env: { ...process.env, ...command.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`program ${command.args.join(' ')} did not end within ${timeout} ms; stderr: ${stderr}`));
    }, timeout);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, stdout, stderr });
    });
  });
}
