import { labContext } from '../support/lab-context.js';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { arch as nodeArch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { HostSchema } from '../../main/api/hosts.js';
import { deployArtifact } from '../../main/core/deploy/deploy-artifact.js';
import { artifactsForArch, readManifest, type LocalArtifact } from '../../main/core/deploy/manifest.js';
import { remoteSha256 } from '../../main/core/deploy/remote-sha256.js';
import { spawnVerifiedLoader } from '../../main/core/deploy/root-exec.js';
import { collectCommand, execCommand, type CommandRunner } from '../../main/core/ssh/command-runner.js';
import { connect, type SshConnection } from '../../main/core/ssh/connection.js';
import { HostKeyStore } from '../../main/core/ssh/host-key-store.js';

// Deploy over real SFTP to the lab's sshd, as an unprivileged user (the common case: sudo runs the loader later).
// The artifact is a generated executable script listed in a manifest shaped like resources/manifest.json.
const { state, labIt } = labContext();
const itLab = labIt();
const scratch = mkdtempSync(join(tmpdir(), 'pktpath-core-deploy-'));
const unameArch = nodeArch() === 'arm64' ? 'aarch64' : 'x86_64';

let conn: SshConnection;
let artifact: LocalArtifact;

function makeArtifact(): LocalArtifact {
  const dir = join(scratch, 'resources');
  mkdirSync(join(dir, unameArch), { recursive: true });
  // A real executable (the privileged-run test executes it) padded with random bytes so every run has a new hash.
  const body = `#!/bin/sh\necho "loader-stand-in $(id -u)"\nexit 0\n# ${randomBytes(64 * 1024).toString('base64')}\n`;
  writeFileSync(join(dir, unameArch, 'pktpath-loader'), body, { mode: 0o755 });
  const sha256 = createHash('sha256').update(body).digest('hex');
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({
      version: 1,
      artifacts: {
        [`${unameArch}/pktpath-loader`]: {
          arch: unameArch,
          sha256,
          size: Buffer.byteLength(body),
          kind: 'loader',
        },
        'other/pktpath-loader': {
          arch: unameArch === 'x86_64' ? 'aarch64' : 'x86_64',
          sha256: '0'.repeat(64),
          size: 1,
        },
      },
    }),
  );
  return artifactsForArch(readManifest(join(dir, 'manifest.json')), unameArch)[0]!;
}

beforeAll(async () => {
  if (!state) return;
  const h = state.hosts.local!;
  const kh = join(scratch, 'known_hosts');
  writeFileSync(kh, `[127.0.0.1]:${h.port} ${h.hostKeyPub}\n`);
  conn = await connect(
    HostSchema.parse({
      name: 'lab-local',
      address: h.address,
      port: h.port,
      user: state.users.sudoNoPassword.name,
      auth: { kind: 'key', identityFiles: [state.privateKey] },
    }),
    { hostKeys: new HostKeyStore({ userFiles: [kh], ownFile: join(scratch, 'own_known_hosts') }) },
  );
  artifact = makeArtifact();
});

afterAll(async () => {
  if (conn) {
    await execCommand(conn, `rm -rf ~/.cache/pktpath/${artifact.sha256}`);
    conn.close();
  }
  execFileSync('rm', ['-rf', scratch]);
});

describe('deploy over SFTP (lab sshd)', () => {
  itLab(
    'uploads into ~/.cache/pktpath/<sha256>/ (0700), verified on the host; then skips the upload',
    async () => {
      const first = await deployArtifact(conn, artifact);
      expect(first.uploaded).toBe(true);
      expect(first.remotePath).toBe(
        `/home/${state!.users.sudoNoPassword.name}/.cache/pktpath/${artifact.sha256}/pktpath-loader`,
      );
      const st = await execCommand(
        conn,
        `stat -c '%a %U' ~/.cache/pktpath ~/.cache/pktpath/${artifact.sha256} ${first.remotePath}; ls -a ~/.cache/pktpath/${artifact.sha256}`,
      );
      expect(st.stdout.split('\n').slice(0, 3)).toEqual(
        Array(3).fill(`700 ${state!.users.sudoNoPassword.name}`),
      );
      expect(st.stdout).not.toMatch(/\.tmp-/); // no temp file left behind
      expect(await remoteSha256(conn, first.remotePath)).toBe(artifact.sha256);

      const second = await deployArtifact(conn, artifact);
      expect(second).toMatchObject({ uploaded: false, replacedCorrupt: false, remotePath: first.remotePath });
    },
  );

  /** Runs the deployed stand-in as root the way the product does: root copies, hashes and runs its own copy. */
  const runAsRoot = async (remotePath: string) =>
    collectCommand(
      await spawnVerifiedLoader(
        conn,
        { path: remotePath, sha256: artifact.sha256, size: artifact.size },
        [],
        {
          privilege: 'sudo',
        },
      ),
      'stand-in',
      { timeoutMs: 30_000 },
    );

  itLab(
    'detects a corrupted copy on the host: root refuses to run it, the next deploy replaces it',
    async () => {
      const { remotePath } = await deployArtifact(conn, artifact);
      await execCommand(conn, `printf X | dd of=${remotePath} conv=notrunc 2>/dev/null`); // same size, one byte changed
      await expect(runAsRoot(remotePath)).rejects.toThrow(/as root, expected .*; refusing to run it/);
      const again = await deployArtifact(conn, artifact);
      expect(again).toMatchObject({ uploaded: true, replacedCorrupt: true });
      // And the verified copy runs as root through sudo.
      expect((await runAsRoot(remotePath)).stdout).toBe('loader-stand-in 0\n');
    },
  );

  itLab('root refuses a deleted remote copy', async () => {
    const { remotePath } = await deployArtifact(conn, artifact);
    await execCommand(conn, `rm -f ${remotePath}`);
    await expect(runAsRoot(remotePath)).rejects.toThrow(/is not a regular file; deploy again/);
  });

  itLab('hashes with busybox when sha256sum is not on the PATH', async () => {
    const bin = (
      await execCommand(conn, 'd=$(mktemp -d) && ln -s "$(command -v busybox)" "$d/busybox" && echo "$d"')
    ).stdout.trim();
    const onlyBusybox: CommandRunner = {
      target: conn.target,
      spawn: (c) => conn.spawn(`PATH=${bin}; export PATH; ${c}`),
    };
    const { remotePath } = await deployArtifact(conn, artifact);
    expect((await execCommand(onlyBusybox, 'command -v sha256sum || echo none')).stdout.trim()).toBe('none');
    expect(await remoteSha256(onlyBusybox, remotePath)).toBe(artifact.sha256);
    await execCommand(conn, `rm -rf ${bin}`);
  });

  itLab('refuses to ship a local artifact that no longer matches its manifest', async () => {
    const local = join(scratch, 'tampered');
    writeFileSync(local, 'not the loader');
    await expect(deployArtifact(conn, { ...artifact, localPath: local })).rejects.toThrow(/manifest says/);
  });
});
