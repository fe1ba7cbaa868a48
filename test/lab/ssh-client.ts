import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec, type ExecResult, type Shell } from './exec.js';

/** How to reach one lab host with OpenSSH's client: the independent reference the product's own SSH is checked against. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  privateKey: string;
  /** The host's public key line ("ssh-ed25519 AAAA..."): pinned, never trust-on-first-use. */
  hostKeyPub: string;
  /** Optional jump host, itself pinned. */
  jump?: SshTarget;
}

function knownHostsLine(t: SshTarget): string {
  const name = t.port === 22 ? t.host : `[${t.host}]:${t.port}`;
  const [type, key] = t.hostKeyPub.trim().split(/\s+/);
  return `${name} ${type} ${key}\n`;
}

/** OpenSSH arguments that pin host keys (ours and the jump's) in a private known_hosts file. */
export function sshArgs(t: SshTarget, scratchDir: string, connectTimeoutS = 10): string[] {
  const knownHosts = join(scratchDir, `known_hosts-${t.host}-${t.port}`);
  writeFileSync(knownHosts, knownHostsLine(t) + (t.jump ? knownHostsLine(t.jump) : ''));
  const common = [
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    `ConnectTimeout=${connectTimeoutS}`,
    '-o',
    'LogLevel=ERROR',
    '-o',
    'IdentitiesOnly=yes',
  ];
  const args = [...common, '-i', t.privateKey, '-p', String(t.port)];
  if (t.jump) {
    // ProxyCommand (not -J) so the jump hop gets its own key, port and pinned host key.
    const j = t.jump;
    const proxy = [
      'ssh',
      ...common,
      '-i',
      j.privateKey,
      '-p',
      String(j.port),
      '-W',
      '%h:%p',
      `${j.user}@${j.host}`,
    ];
    args.push('-o', `ProxyCommand=${proxy.join(' ')}`);
  }
  return [...args, `${t.user}@${t.host}`];
}

export function sshShell(t: SshTarget, scratchDir: string): Shell {
  return (script, opts) => exec('ssh', [...sshArgs(t, scratchDir), script], opts ?? {});
}

export async function sshRun(
  t: SshTarget,
  scratchDir: string,
  script: string,
  timeoutMs = 30_000,
): Promise<ExecResult> {
  return sshShell(t, scratchDir)(script, { timeoutMs });
}
