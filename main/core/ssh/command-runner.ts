import { spawn as spawnChild } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';
import { CoreError } from '../errors.js';

/**
 * What the deploy, probe and trace code needs from a host: run a shell command with streaming stdin/stdout/stderr.
 * SshConnection implements it over an SSH channel; LocalRunner implements it for the built-in `local` host.
 */
export interface RunningCommand {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Resolves once the command has exited and its output streams are drained (code null when killed by a signal). */
  exit: Promise<{ code: number | null; signal: string | null }>;
  /** Resolves as soon as the command's exit status is known, even while unread output is still pending. */
  exitStatus: Promise<{ code: number | null; signal: string | null }>;
  /** Asks the command to stop (SIGTERM where the transport can deliver it) and closes its streams. */
  kill(): void;
}

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface CommandRunner {
  /** Human name for messages ("root@10.0.0.1:22", "local"). */
  readonly target: string;
  /** Runs `command` through the login shell (sh -c semantics on the far side). */
  spawn(command: string): Promise<RunningCommand>;
  /** Calls `cb` once if the link under the runner dies (SSH); a runner without a link never calls it. */
  onClose?(cb: () => void): void;
  /** File transfer to the host, where the runner has one (SSH): what deploy needs. */
  sftp?(): Promise<SFTPWrapper>;
}

/** A runner that can copy files to its host (deploy needs it; `local` uses the loader in place). */
export type FileTransferRunner = CommandRunner & Required<Pick<CommandRunner, 'sftp'>>;

export const canTransferFiles = (r: CommandRunner): r is FileTransferRunner => typeof r.sftp === 'function';

/** A host command that outlived its time limit: the contract's `timeout`, not an internal error. */
export class CommandTimeoutError extends CoreError {
  constructor(what: string, timeoutMs: number) {
    super('timeout', `${what} did not finish within ${timeoutMs} ms`, { timeoutMs });
  }
}

/** Runs a command to completion, feeding `stdin` and collecting output; a timeout kills it and rejects. */
export async function execCommand(
  runner: CommandRunner,
  command: string,
  opts: { stdin?: string | Buffer; timeoutMs?: number } = {},
): Promise<ExecResult> {
  return collectCommand(await runner.spawn(command), `${command.slice(0, 60)} on ${runner.target}`, opts);
}

/** Feeds a started command its `stdin`, collects its output until it exits; a timeout kills it and rejects. */
export async function collectCommand(
  cmd: RunningCommand,
  what: string,
  opts: { stdin?: string | Buffer; timeoutMs?: number | undefined },
): Promise<ExecResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  cmd.stdout.on('data', (d: Buffer) => out.push(d));
  cmd.stderr.on('data', (d: Buffer) => err.push(d));
  cmd.stdin.on('error', () => undefined); // the command may exit before reading its stdin
  cmd.stdin.end(opts.stdin ?? '');
  let timer: NodeJS.Timeout | undefined;
  const limitMs = opts.timeoutMs;
  const timeout = new Promise<never>((_, reject) => {
    if (limitMs)
      timer = setTimeout(() => {
        cmd.kill();
        reject(new CommandTimeoutError(what, limitMs));
      }, limitMs);
  });
  try {
    const { code, signal } = await Promise.race([cmd.exit, timeout]);
    return {
      code,
      signal,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** The built-in `local` host: commands run here through /bin/sh, no SSH involved. */
export class LocalRunner implements CommandRunner {
  readonly target = 'local';

  async spawn(command: string): Promise<RunningCommand> {
    const child = spawnChild('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exit = new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    const exitStatus = new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    return {
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: child.stderr,
      exit,
      exitStatus,
      kill: () => void child.kill('SIGTERM'),
    };
  }
}

/** Quotes one word for a POSIX shell. */
export function shQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shJoin(argv: readonly string[]): string {
  return argv.map(shQuote).join(' ');
}
