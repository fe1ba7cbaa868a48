import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { Privilege } from '../../api/hosts.js';
import {
  collectCommand,
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
  /** How long becoming root may take (sudo can be slow on PAM/LDAP hosts). */
  timeoutMs?: number;
}

/**
 * Runs `argv` as root through the host's privilege method and resolves only once root is confirmed, so the caller's
 * payload (the loader's config on stdin) is never read by sudo as a password and never runs unprivileged.
 * Inside the privileged shell we check `id -u` = 0 and print a one-time marker on stderr; until that marker
 * arrives nothing is written to stdin except, for sudo-password, the password in answer to sudo's own prompt.
 */
export async function spawnPrivileged(
  runner: CommandRunner,
  argv: readonly string[],
  opts: PrivilegeOptions,
): Promise<RunningCommand> {
  const token = randomBytes(8).toString('hex');
  const mark = `__pktpath_root_${token}__`;
  const promptMark = `__pktpath_sudo_prompt_${token}__`;
  const inner = shJoin([
    'sh',
    '-c',
    `[ "$(id -u)" = 0 ] || { echo "uid $(id -u), not root" >&2; exit 126; }; echo ${mark} >&2; exec "$@"`,
    'sh',
    ...argv,
  ]);
  const command = (() => {
    switch (opts.privilege) {
      case 'root':
        return inner;
      case 'sudo':
        return `sudo -n -- ${inner}`;
      case 'sudo-password':
        return `sudo -S -p ${shQuote(promptMark + '\n')} -- ${inner}`;
      case 'doas':
        return `doas -n -- ${inner}`;
    }
  })();

  const cmd = await runner.spawn(command);
  const stderr = new PassThrough();
  const timeoutMs = opts.timeoutMs ?? 15_000;
  let seen = '';
  let confirmed = false;
  let promptsAnswered = 0;

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        finish(
          new PrivilegeError(runner.target, `${opts.privilege} did not yield root within ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
    const finish = (err?: Error) => {
      clearTimeout(timer);
      cmd.stderr.off('data', onData);
      if (err) {
        cmd.kill();
        reject(err);
      } else resolve();
    };
    const lastLine = () =>
      seen
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.includes(promptMark))
        .pop() ?? '';
    const onData = (d: Buffer) => {
      seen += d.toString('utf8');
      const at = seen.indexOf(`${mark}\n`);
      if (at >= 0) {
        confirmed = true;
        const rest = seen.slice(at + mark.length + 1);
        if (rest) stderr.write(rest);
        cmd.stderr.pipe(stderr);
        return finish();
      }
      const prompts = seen.split(promptMark).length - 1;
      if (prompts > promptsAnswered) {
        if (promptsAnswered > 0)
          return finish(new PrivilegeError(runner.target, 'sudo rejected the password'));
        promptsAnswered = prompts;
        if (!opts.sudoPassword)
          return finish(new PrivilegeError(runner.target, 'sudo asks for a password and none is available'));
        opts.sudoPassword().then(
          (pw) =>
            pw === undefined
              ? finish(new PrivilegeError(runner.target, 'sudo password not provided'))
              : cmd.stdin.write(`${pw}\n`),
          (e: unknown) =>
            finish(new PrivilegeError(runner.target, `sudo password unavailable: ${String(e)}`)),
        );
      }
    };
    cmd.stderr.on('data', onData);
    cmd.exitStatus.then(async ({ code }) => {
      if (confirmed) return;
      // Let stderr that raced the exit status arrive first, so the message carries sudo's own words.
      await new Promise((r) => setTimeout(r, 50));
      if (confirmed) return;
      const why = lastLine() || `exit code ${code}`;
      finish(new PrivilegeError(runner.target, `${opts.privilege}: ${why}`));
    }, finish);
  });

  return { ...cmd, stderr };
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
