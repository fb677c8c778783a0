// Runs the real `clinsynth` executable in a child process and collects its output and exit code.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/config/paths.js';

export const CLI = join(PROJECT_ROOT, 'bin', 'clinsynth.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `detached`: the child leads a process group of its own, so a test can kill the whole group (`kill -9 -PGID`). */
export function startCli(
  args: string[],
  env: Record<string, string | undefined> = {},
  opts: { detached?: boolean } = {},
): { child: ChildProcess; result: Promise<CliResult> } {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.detached ?? false,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const result = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, result };
}

export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return startCli(args, env).result;
}
