/** Runs the built CLI as a process, as a user would. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { scaled } from './timing.js';

export const CLI = path.resolve('dist/bin/mobileid-sync.cjs');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** When the process is killed, before scaling (timing.ts); default 60 s. */
  timeoutMs?: number;
  /** Node's own flags before the script (`--import …`). */
  nodeArgs?: readonly string[];
}

export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return runProcess(process.execPath, [...(options.nodeArgs ?? []), CLI, ...args], options);
}

/** A command line through /bin/sh, as an admin pasting it would; `mobileid-sync` is the built CLI. */
export function runShell(line: string, options: RunOptions = {}): Promise<CliResult> {
  const cli = line.replace(/^mobileid-sync(?= |$)/, `'${process.execPath}' '${CLI}'`);
  return runProcess('/bin/sh', ['-c', cli], options);
}

function runProcess(command: string, args: readonly string[], options: RunOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, MOBILEID_SYNC_CONFIG: '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), scaled(options.timeoutMs ?? 60_000));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
