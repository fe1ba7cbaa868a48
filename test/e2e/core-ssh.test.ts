import { labContext } from '../support/lab-context.js';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { HostSchema, type Host, type HostInput } from '../../main/api/hosts.js';
import { execCommand } from '../../main/core/ssh/command-runner.js';
import { connect, type AskHostKey, type ConnectOptions } from '../../main/core/ssh/connection.js';
import {
  HostKeyMismatchError,
  HostKeyRejectedError,
  HostKeyRevokedError,
  PrivilegeError,
  SshAuthError,
  SshTimeoutError,
  SshUnreachableError,
} from '../../main/core/ssh/errors.js';
import { HostKeyStore } from '../../main/core/ssh/host-key-store.js';
import { execPrivileged } from '../../main/core/ssh/privileged.js';
import { ConnectionPool } from '../../main/core/ssh/pool.js';
import { freePort } from '../lab/sshd.js';

// The SSH layer against the lab's real OpenSSH servers: every outcome (success and each distinct failure) is
// produced by sshd itself, and fingerprints are checked against ssh-keygen's own output.
const { lab, labIt } = labContext();
const itLab = labIt();
const scratch = mkdtempSync(join(tmpdir(), 'pktpath-core-ssh-'));

function host(name: 'local' | 'jump', over: Partial<HostInput> = {}): Host {
  const h = lab().hosts[name]!;
  return HostSchema.parse({
    name: `lab-${name}`,
    address: h.address,
    port: h.port,
    user: 'root',
    auth: { kind: 'key', identityFiles: [lab().privateKey] },
    ...over,
  });
}

/** A known_hosts file with the given lines, and a store reading it (pktpath's own file separate and empty). */
function storeWith(lines: string[]): HostKeyStore {
  const dir = mkdtempSync(join(scratch, 'kh-'));
  const user = join(dir, 'known_hosts');
  writeFileSync(user, lines.join('\n') + '\n');
  return new HostKeyStore({ userFiles: [user], ownFile: join(dir, 'pktpath_known_hosts') });
}
const keyOf = (pub: string) => pub.trim().split(/\s+/).slice(0, 2).join(' ');
const khLine = (name: 'local' | 'jump') =>
  `[127.0.0.1]:${lab().hosts[name]!.port} ${keyOf(lab().hosts[name]!.hostKeyPub)}`;
const pinned = (): HostKeyStore => storeWith([khLine('local'), khLine('jump')]);

/** What `ssh-keygen -lf` prints for a public key line: the reference our fingerprints must equal. */
function sshKeygenFingerprint(pub: string): string {
  const f = join(mkdtempSync(join(scratch, 'pub-')), 'k.pub');
  writeFileSync(f, pub + '\n');
  return execFileSync('ssh-keygen', ['-lf', f], { encoding: 'utf8' }).split(/\s+/)[1]!;
}

const resolveLab = (name: string): Host => (name === 'lab-jump' ? host('jump') : host('local'));
const opts = (o: Partial<ConnectOptions> = {}): ConnectOptions => ({
  hostKeys: pinned(),
  resolveHost: resolveLab,
  ...o,
});

afterAll(() => execFileSync('rm', ['-rf', scratch]));

describe('SSH connection (lab sshd)', () => {
  itLab('connects with a key file and runs a command as root', async () => {
    const c = await connect(host('local'), opts());
    try {
      const r = await execCommand(c, 'id -u; uname -r', { timeoutMs: 10_000 });
      expect(r.code).toBe(0);
      expect(r.stdout.trim().split('\n')).toEqual(['0', lab().hosts.local!.kernelRelease]);
    } finally {
      c.close();
    }
  });

  itLab('accepts a host listed as a hashed |1| entry (ssh-keygen -H)', async () => {
    const store = pinned();
    execFileSync('ssh-keygen', ['-H', '-f', store.userFiles[0]!], { stdio: 'ignore' });
    expect(readFileSync(store.userFiles[0]!, 'utf8')).toMatch(/^\|1\|/);
    const asked: unknown[] = [];
    const c = await connect(
      host('local'),
      opts({ hostKeys: store, askHostKey: async (q) => (asked.push(q), 'reject') }),
    );
    c.close();
    expect(asked).toEqual([]);
  });

  itLab('feeds stdin to a command and streams its stdout back', async () => {
    const c = await connect(host('local'), opts());
    try {
      const payload = 'x'.repeat(200_000) + '\nend\n';
      const r = await execCommand(c, 'wc -c', { stdin: payload, timeoutMs: 10_000 });
      expect(r.stdout.trim()).toBe(String(Buffer.byteLength(payload)));
    } finally {
      c.close();
    }
  });

  itLab(
    "asks about an unknown host key with ssh-keygen's fingerprint; accept-and-save is remembered",
    async () => {
      const store = storeWith([]);
      const asked: Parameters<AskHostKey>[0][] = [];
      const ask: AskHostKey = async (q) => (asked.push(q), 'accept-and-save');
      const c = await connect(host('local'), opts({ hostKeys: store, askHostKey: ask }));
      c.close();
      expect(asked).toHaveLength(1);
      expect(asked[0]).toMatchObject({
        host: 'lab-local',
        hostPattern: `[127.0.0.1]:${lab().hosts.local!.port}`,
        keyType: 'ssh-ed25519',
        fingerprint: sshKeygenFingerprint(lab().hosts.local!.hostKeyPub),
      });
      expect(readFileSync(store.ownFile, 'utf8')).toMatch(/^\|1\|\S+ ssh-ed25519 \S+\n$/);
      const again = await connect(host('local'), opts({ hostKeys: store, askHostKey: ask }));
      again.close();
      expect(asked).toHaveLength(1);
    },
  );

  itLab('refuses an unknown host key when the user rejects it, or when nobody can be asked', async () => {
    await expect(
      connect(host('local'), opts({ hostKeys: storeWith([]), askHostKey: async () => 'reject' })),
    ).rejects.toBeInstanceOf(HostKeyRejectedError);
    await expect(connect(host('local'), opts({ hostKeys: storeWith([]) }))).rejects.toBeInstanceOf(
      HostKeyRejectedError,
    );
  });

  itLab(
    'refuses a changed host key, naming the old and new fingerprints as ssh-keygen -lf prints them',
    async () => {
      // Record the jump host's key for the local host's address: the local sshd then presents "another" key.
      const store = storeWith([
        `[127.0.0.1]:${lab().hosts.local!.port} ${keyOf(lab().hosts.jump!.hostKeyPub)}`,
      ]);
      let asked = false;
      const err = await connect(
        host('local'),
        opts({ hostKeys: store, askHostKey: async () => ((asked = true), 'accept-once') }),
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostKeyMismatchError);
      const e = err as HostKeyMismatchError;
      const oldFp = sshKeygenFingerprint(lab().hosts.jump!.hostKeyPub);
      const newFp = sshKeygenFingerprint(lab().hosts.local!.hostKeyPub);
      expect(oldFp).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
      expect(e.knownFingerprints).toEqual([oldFp]);
      expect(e.presentedFingerprint).toBe(newFp);
      expect(e.message).toContain(oldFp);
      expect(e.message).toContain(newFp);
      expect(e.code).toBe('host-key-mismatch');
      expect(asked).toBe(false);
    },
  );

  itLab('refuses a key marked @revoked even if also listed as known', async () => {
    const store = storeWith([`@revoked * ${keyOf(lab().hosts.local!.hostKeyPub)}`, khLine('local')]);
    await expect(connect(host('local'), opts({ hostKeys: store }))).rejects.toBeInstanceOf(
      HostKeyRevokedError,
    );
  });

  itLab('reports a closed port as unreachable, fast', async () => {
    const t0 = Date.now();
    const err = await connect(host('local', { port: await freePort() }), opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SshUnreachableError);
    expect((err as Error).message).toMatch(/ECONNREFUSED|refused/i);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  itLab('times out (not hangs) on a server that accepts TCP but never speaks SSH', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const t0 = Date.now();
      const err = await connect(host('local', { port }), opts({ timeoutMs: 1500 })).catch((e: unknown) => e);
      const took = Date.now() - t0;
      expect(err).toBeInstanceOf(SshTimeoutError);
      expect(took).toBeGreaterThanOrEqual(1400);
      expect(took).toBeLessThan(3000);
    } finally {
      silent.close();
    }
  });

  itLab('reports a key the server does not accept as an auth failure, fast', async () => {
    const notAuthorized = `${lab().runtimeDir}/sshd-local/ssh_host_ed25519_key`;
    const t0 = Date.now();
    const err = await connect(
      host('local', { auth: { kind: 'key', identityFiles: [notAuthorized] } }),
      opts(),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SshAuthError);
    expect((err as Error).message).toContain(notAuthorized);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  itLab('authenticates with a password (and fails cleanly with a wrong one)', async () => {
    const u = lab().users.sudoNoPassword;
    const pw = (password: string) =>
      opts({ secrets: async (req) => (req.kind === 'password' ? password : undefined) });
    const c = await connect(host('local', { user: u.name, auth: { kind: 'password' } }), pw(u.password));
    try {
      expect((await execCommand(c, 'id -un')).stdout.trim()).toBe(u.name);
    } finally {
      c.close();
    }
    await expect(
      connect(host('local', { user: u.name, auth: { kind: 'password' } }), pw('wrong-password')),
    ).rejects.toBeInstanceOf(SshAuthError);
  });

  itLab('opens a passphrase-protected key with the passphrase it asks for', async () => {
    const dir = mkdtempSync(join(scratch, 'enc-'));
    const key = join(dir, 'id_enc');
    copyFileSync(lab().privateKey, key);
    chmodSync(key, 0o600);
    execFileSync('ssh-keygen', ['-q', '-p', '-P', '', '-N', 'open sesame', '-f', key]);
    const kinds: string[] = [];
    const c = await connect(
      host('local', { auth: { kind: 'key', identityFiles: [key] } }),
      opts({ secrets: async (req) => (kinds.push(req.kind), 'open sesame') }),
    );
    c.close();
    expect(kinds).toEqual(['passphrase']);
    const bad = await connect(
      host('local', { auth: { kind: 'key', identityFiles: [key] } }),
      opts({ secrets: async () => 'wrong' }),
    ).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(SshAuthError);
  });

  itLab("goes through a jump host, verifying each hop's key on its own", async () => {
    const target = host('local', { name: 'lab-local', jump: ['lab-jump'] });
    const c = await connect(target, opts());
    try {
      // The tunnel really goes through the jump sshd: it logs the forwarding request.
      const r = await execCommand(c, 'echo via-jump');
      expect(r.stdout).toBe('via-jump\n');
    } finally {
      c.close();
    }
    // Only the final host known: the jump hop is the one asked about, flagged as a jump host.
    const asked: Parameters<AskHostKey>[0][] = [];
    const c2 = await connect(
      target,
      opts({
        hostKeys: storeWith([khLine('local')]),
        askHostKey: async (q) => (asked.push(q), 'accept-once'),
      }),
    );
    c2.close();
    expect(asked.map((q) => [q.host, q.hostPattern, q.viaJumpFor])).toEqual([
      ['lab-jump', `[127.0.0.1]:${lab().hosts.jump!.port}`, 'lab-local'],
    ]);
    // Jump host pinned to a wrong key: refused at the first hop.
    const wrongJump = storeWith([
      khLine('local'),
      `[127.0.0.1]:${lab().hosts.jump!.port} ${keyOf(lab().hosts.local!.hostKeyPub)}`,
    ]);
    await expect(connect(target, opts({ hostKeys: wrongJump }))).rejects.toBeInstanceOf(HostKeyMismatchError);
  });

  itLab('reports a target the jump host cannot reach as unreachable', async () => {
    const target = host('local', { port: await freePort(), jump: ['lab-jump'] });
    const err = await connect(target, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SshUnreachableError);
    expect((err as Error).message).toMatch(/jump host lab-jump/);
  });
});

describe('privileged exec (lab users)', () => {
  itLab('sudo -n as the passwordless-sudo user runs as root and passes stdin through', async () => {
    const u = lab().users.sudoNoPassword;
    const c = await connect(host('local', { user: u.name }), opts());
    try {
      const r = await execPrivileged(c, ['sh', '-c', 'id -u; cat'], {
        privilege: 'sudo',
        stdin: 'payload\n',
      });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('0\npayload\n');
    } finally {
      c.close();
    }
  });

  itLab('sudo with a password: fed on stdin before the payload, never into the payload', async () => {
    const u = lab().users.sudoPassword;
    const c = await connect(host('local', { user: u.name }), opts());
    try {
      const asked: number[] = [];
      const r = await execPrivileged(c, ['sh', '-c', 'id -u; cat'], {
        privilege: 'sudo-password',
        sudoPassword: async () => (asked.push(1), u.password),
        stdin: 'payload\n',
      });
      expect(r.stdout).toBe('0\npayload\n');
      expect(r.stderr).toBe('');
      expect(asked).toEqual([1]);
      await expect(
        execPrivileged(c, ['id', '-u'], { privilege: 'sudo-password', sudoPassword: async () => 'wrong' }),
      ).rejects.toThrow(/rejected the password/);
      // Plain `sudo -n` for a user whose sudo wants a password fails clearly instead of hanging.
      const t0 = Date.now();
      await expect(execPrivileged(c, ['id', '-u'], { privilege: 'sudo' })).rejects.toBeInstanceOf(
        PrivilegeError,
      );
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      c.close();
    }
  });

  itLab('privilege "root" as a non-root login is refused, not silently run unprivileged', async () => {
    const c = await connect(host('local', { user: lab().users.sudoNoPassword.name }), opts());
    try {
      await expect(execPrivileged(c, ['id', '-u'], { privilege: 'root' })).rejects.toThrow(/not root/);
    } finally {
      c.close();
    }
  });
});

describe('connection pool', () => {
  itLab('shares one connection per host and reopens it after the link closes', async () => {
    const pool = new ConnectionPool(opts());
    try {
      const [a, b] = await Promise.all([pool.get(host('local')), pool.get(host('local'))]);
      expect(a).toBe(b);
      a.close();
      await new Promise((r) => a.onClose(() => r(undefined)));
      const c = await pool.get(host('local'));
      expect(c).not.toBe(a);
      expect((await execCommand(c, 'echo ok')).stdout).toBe('ok\n');
    } finally {
      pool.closeAll();
    }
  });
});
