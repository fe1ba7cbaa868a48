import { spawn } from 'node:child_process';

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs a program to completion, capturing output; never throws for a non-zero exit (see `check`). */
export function exec(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            stderr += `\n[killed after ${opts.timeoutMs} ms]`;
            child.kill('SIGKILL');
          }, opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => undefined); // the program may exit without reading its input
    child.stdin.end(opts.input ?? '');
  });
}

/** Like exec, but rejects with the command and its stderr when it does not exit 0. */
export async function check(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<string> {
  const r = await exec(file, args, opts);
  if (r.code !== 0) {
    const what = [file, ...args].join(' ');
    throw new Error(`${what} exited ${r.code ?? r.signal}: ${(r.stderr || r.stdout).trim().slice(-2000)}`);
  }
  return r.stdout;
}

/** Runs a shell script on some host (here, over SSH, in a VM) and resolves with its result. */
export type Shell = (script: string, opts?: { timeoutMs?: number; input?: string }) => Promise<ExecResult>;

export const localShell: Shell = (script, opts) => exec('/bin/sh', ['-c', script], opts ?? {});

/** Like a Shell call but rejects on a non-zero exit, with the script and its stderr. */
export async function sh(shell: Shell, script: string, timeoutMs = 30_000): Promise<string> {
  const r = await shell(script, { timeoutMs });
  if (r.code !== 0)
    throw new Error(`script failed (${r.code ?? r.signal}): ${script}\n${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}
