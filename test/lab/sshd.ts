import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { check } from './exec.js';
import { freePort } from './ports.js';

export { freePort }; // also the place the lab's other modules have long imported it from

/** A running OpenSSH sshd on 127.0.0.1, started detached so it outlives the process that started it. */
export interface SshdInstance {
  name: string;
  pid: number;
  port: number;
  /** The server's ed25519 public key line, for pinning in known_hosts. */
  hostKeyPub: string;
  dir: string;
}

export const SSHD = '/usr/sbin/sshd';

/** Resolves with the server's identification line once something speaking SSH answers on the port. */
export function sshBanner(port: number, host = '127.0.0.1', timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ port, host });
    let buf = '';
    const done = (err?: Error) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(buf.split('\r\n')[0] ?? '');
    };
    const timer = setTimeout(
      () => done(new Error(`no SSH banner on ${host}:${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\n')) {
        if (buf.startsWith('SSH-')) done();
        else done(new Error(`not an SSH server on ${host}:${port}: ${JSON.stringify(buf.slice(0, 40))}`));
      }
    });
    sock.on('error', (e) => done(e));
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts sshd with its own host key and config in `dir`. Authorized keys come from `authorizedKeysDir/<user>`,
 * a directory every lab user can read (sshd opens the file with the user's uid).
 */
export async function startSshd(name: string, dir: string, authorizedKeysDir: string): Promise<SshdInstance> {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege-separation directory sshd insists on
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  if (!existsSync(hostKey))
    await check('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `pktpath-lab-${name}`, '-f', hostKey]);
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeysDir}/%u`,
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'AllowTcpForwarding yes',
      'Subsystem sftp internal-sftp',
      'MaxStartups 64:30:128',
      'MaxSessions 64',
      'ClientAliveInterval 5',
      'ClientAliveCountMax 3',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  await check(SSHD, ['-t', '-f', config]); // a config error is reported here, not as a silent non-start
  const log = openSync(join(dir, 'sshd.log'), 'a');
  const child = spawn(SSHD, ['-D', '-e', '-f', config], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`sshd ${name} did not start`);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await sshBanner(port);
      break;
    } catch (e) {
      if (!isAlive(pid) || Date.now() > deadline) {
        const tail = readFileSync(join(dir, 'sshd.log'), 'utf8').split('\n').slice(-10).join('\n');
        throw new Error(`sshd ${name} on port ${port} is not answering (${String(e)}):\n${tail}`, {
          cause: e,
        });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { name, pid, port, hostKeyPub: readFileSync(`${hostKey}.pub`, 'utf8').trim(), dir };
}

export async function stopPid(pid: number, graceMs = 3000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}
