import { spawn } from 'node:child_process';
import path from 'node:path';

export const BIN = path.resolve('bin/funcspec.js');

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `funcspec` binary (built into dist/ by `npm test`) with the given environment. */
export function runFuncspec(args: string[], env: Record<string, string>, input?: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}
