import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { Privilege } from '../../api/hosts.js';
import type { CoreError } from '../errors.js';
import {
  collectCommand,
  CommandTimeoutError,
  shJoin,
  shQuote,
  type CommandRunner,
  type ExecResult,
  type RunningCommand,
} from './command-runner.js';
import { PrivilegeError } from './errors.js';

export interface PrivilegeOptions {
  privilege: Privilege;
  /** Asked only when sudo actually prompts (sudo-password), so a cached or NOPASSWD sudo never swallows stdin. */
  sudoPassword?: () => Promise<string | undefined>;
  /** How long becoming root (and the root script's own checks) may take (sudo can be slow on PAM/LDAP hosts). */
  timeoutMs?: number;
}

/** Copying and hashing a few MB as root, on a slow (TCG) VM under load. */
const ROOT_CHECKS_TIMEOUT_MS = 120_000;

/** Where sudo/doas are looked up: root-owned system directories, never the login user's PATH. */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** The PATH inside the privileged shell: every tool root runs comes from here. */
export const ROOT_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Start of every privileged shell script. `$1` is the one-time token: it is shifted off after the uid check and
 * the root marker, and stays in `$t` for the script's ready marker. Fixed PATH and umask: nothing from the login
 * user's environment decides which tool root runs or who can read what root writes.
 */
export const ROOT_PRELUDE =
  `PATH=${ROOT_PATH}; export PATH; umask 077; t=$1; shift; ` +
  `[ "$(id -u)" = 0 ] || { echo "uid $(id -u), not root" >&2; exit 126; }; ` +
  `echo "__pktpath_root_\${t}__" >&2; `;

/** Ends a script: tells the caller the command is about to start, then runs it in the script's place. */
export const READY_EXEC = `echo "__pktpath_ready_\${t}__" >&2; exec "$@"`;

/**
 * The command line that runs `script` (after ROOT_PRELUDE) as root: `/bin/sh` by absolute path, and sudo/doas
 * found in the system directories only (a login user's PATH could put a password-stealing `sudo` first).
 */
export function privilegedCommand(
  privilege: Privilege,
  script: string,
  args: readonly string[],
  promptMark: string,
): string {
  const inner = shJoin(['/bin/sh', '-c', ROOT_PRELUDE + script, 'pktpath-root', ...args]);
  const viaSystemPath = (tool: string) => `PATH=${SYSTEM_PATH} exec ${tool}`;
  switch (privilege) {
    case 'root':
      return inner;
    case 'sudo':
      return `${viaSystemPath('sudo')} -n -- ${inner}`;
    case 'sudo-password':
      return `${viaSystemPath('sudo')} -S -p ${shQuote(promptMark + '\n')} -- ${inner}`;
    case 'doas':
      return `${viaSystemPath('doas')} -n -- ${inner}`;
  }
}

/**
 * Runs `argv` as root through the host's privilege method and resolves only once root is confirmed, so the caller's
 * payload (the loader's config on stdin) is never read by sudo as a password and never runs unprivileged.
 */
export function spawnPrivileged(
  runner: CommandRunner,
  argv: readonly string[],
  opts: PrivilegeOptions,
): Promise<RunningCommand> {
  return spawnRootScript(runner, READY_EXEC, argv, opts);
}

/**
 * Runs `script` (which must end in READY_EXEC or print the ready marker itself) as root with `args` as its
 * positional parameters. Resolves once the ready marker arrives. Until the root marker nothing is written to stdin
 * except, for sudo-password, the password in answer to sudo's own prompt. A script that exits between the two
 * markers failed as root: `failedAsRoot` turns its last stderr line into the error.
 */
export async function spawnRootScript(
  runner: CommandRunner,
  script: string,
  args: readonly string[],
  opts: PrivilegeOptions & { failedAsRoot?: (why: string) => CoreError },
): Promise<RunningCommand> {
  const token = randomBytes(8).toString('hex');
  const marks: Marks = {
    root: `__pktpath_root_${token}__\n`,
    ready: `__pktpath_ready_${token}__\n`,
    prompt: `__pktpath_sudo_prompt_${token}__`,
  };
  const cmd = await runner.spawn(privilegedCommand(opts.privilege, script, [token, ...args], marks.prompt));
  const stderr = new PassThrough();
  await handshake(runner.target, cmd, stderr, marks, opts);
  return { ...cmd, stderr };
}

interface Marks {
  root: string;
  ready: string;
  prompt: string;
}

/** The last line of stderr that is neither sudo's prompt nor our root marker: the reason a start failed. */
const lastLine = (seen: string, marks: Marks) =>
  seen
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.includes(marks.prompt) && !l.includes(marks.root.trim()))
    .pop() ?? '';

/** Watches stderr for sudo's prompt, the root marker and the ready marker; after ready, stderr flows to `out`. */
function handshake(
  target: string,
  cmd: RunningCommand,
  out: PassThrough,
  marks: Marks,
  opts: PrivilegeOptions & { failedAsRoot?: (why: string) => CoreError },
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  let seen = '';
  let asRoot = false;
  let ready = false;
  let promptsAnswered = 0;
  return new Promise<void>((resolve, reject) => {
    let timer = setTimeout(
      () => finish(new PrivilegeError(target, `${opts.privilege} did not yield root within ${timeoutMs} ms`)),
      timeoutMs,
    );
    // Root reached: the password part is over; what is left (copying and hashing the loader) gets its own limit.
    const onRoot = () => {
      asRoot = true;
      clearTimeout(timer);
      timer = setTimeout(
        () => finish(new CommandTimeoutError(`root's checks on ${target}`, ROOT_CHECKS_TIMEOUT_MS)),
        ROOT_CHECKS_TIMEOUT_MS,
      );
    };
    const finish = (err?: Error) => {
      clearTimeout(timer);
      cmd.stderr.off('data', onData);
      if (err) {
        cmd.kill();
        reject(err);
      } else resolve();
    };
    const onData = (d: Buffer) => {
      seen += d.toString('utf8');
      if (!asRoot && seen.includes(marks.root)) onRoot();
      const at = seen.indexOf(marks.ready);
      if (at >= 0) {
        ready = true;
        const rest = seen.slice(at + marks.ready.length);
        if (rest) out.write(rest);
        cmd.stderr.pipe(out);
        return finish();
      }
      if (asRoot) return;
      const prompts = seen.split(marks.prompt).length - 1;
      if (prompts > promptsAnswered) {
        if (promptsAnswered > 0) return finish(new PrivilegeError(target, 'sudo rejected the password'));
        promptsAnswered = prompts;
        if (!opts.sudoPassword)
          return finish(new PrivilegeError(target, 'sudo asks for a password and none is available'));
        opts.sudoPassword().then(
          (pw) =>
            pw === undefined
              ? finish(new PrivilegeError(target, 'sudo password not provided'))
              : cmd.stdin.write(`${pw}\n`),
          (e: unknown) => finish(new PrivilegeError(target, `sudo password unavailable: ${String(e)}`)),
        );
      }
    };
    cmd.stderr.on('data', onData);
    cmd.exitStatus.then(async ({ code }) => {
      if (ready) return;
      // Let stderr that raced the exit status arrive first, so the message carries sudo's (or the script's) words.
      await new Promise((r) => setTimeout(r, 50));
      if (ready) return;
      const why = lastLine(seen, marks) || `exit code ${code}`;
      finish(
        asRoot && opts.failedAsRoot
          ? opts.failedAsRoot(why)
          : new PrivilegeError(target, `${opts.privilege}: ${why}`),
      );
    }, finish);
  });
}

/** Runs `argv` as root to completion with `stdin` as its input. */
export async function execPrivileged(
  runner: CommandRunner,
  argv: readonly string[],
  opts: PrivilegeOptions & { stdin?: string | Buffer; runTimeoutMs?: number },
): Promise<ExecResult> {
  const cmd = await spawnPrivileged(runner, argv, opts);
  return collectCommand(cmd, `${argv[0]} on ${runner.target}`, {
    stdin: opts.stdin,
    timeoutMs: opts.runTimeoutMs,
  });
}
