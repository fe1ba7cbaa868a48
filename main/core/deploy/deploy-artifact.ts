import { randomBytes } from 'node:crypto';
import type { SFTPWrapper } from 'ssh2';
import { CoreError } from '../errors.js';
import { execCommand, shQuote, type CommandRunner, type FileTransferRunner } from '../ssh/command-runner.js';
import { checkLocalArtifact, type LocalArtifact } from './manifest.js';
import { remoteSha256 } from './remote-sha256.js';

export interface DeployedArtifact {
  remotePath: string;
  sha256: string;
  /** false when a verified copy was already there. */
  uploaded: boolean;
  /** true when a copy with the wrong hash was found and replaced. */
  replacedCorrupt: boolean;
}

/** `~/.cache/pktpath/<sha256>/`: content-addressed, so two pktpath versions never overwrite each other's loader. */
export function remoteArtifactDir(home: string, sha256: string): string {
  return `${home.replace(/\/+$/, '')}/.cache/pktpath/${sha256}`;
}

const sftpCall = <T>(
  what: string,
  fn: (cb: (err: Error | null | undefined, v?: T) => void) => void,
): Promise<T> =>
  new Promise((res, rej) =>
    fn((err, v) => (err ? rej(new CoreError('deploy-failed', `${what}: ${err.message}`)) : res(v as T))),
  );

/**
 * Puts `artifact` on the host: skip if a copy with the right sha256 is there; otherwise upload by SFTP under a temp
 * name in a 0700 directory, hash it on the host, and only then rename it into place, so a half upload never
 * replaces a good copy. These hashes run as the login user and only save uploads: what makes running the loader
 * as root safe is root's own check of its own copy (root-exec.ts).
 */
export async function deployArtifact(
  conn: FileTransferRunner,
  artifact: LocalArtifact,
): Promise<DeployedArtifact> {
  await checkLocalArtifact(artifact);
  const sftp = await conn.sftp();
  const home = await sftpCall<string>('cannot find the home directory', (cb) => sftp.realpath('.', cb));
  const dir = remoteArtifactDir(home, artifact.sha256);
  const remotePath = `${dir}/${artifact.name}`;

  const present = await remoteSha256(conn, remotePath);
  if (present === artifact.sha256)
    return { remotePath, sha256: artifact.sha256, uploaded: false, replacedCorrupt: false };

  const mk = await execCommand(
    conn,
    `umask 077 && mkdir -p ${shQuote(dir)} && chmod 700 ${shQuote(`${home}/.cache/pktpath`)} ${shQuote(dir)}`,
    {
      timeoutMs: 30_000,
    },
  );
  if (mk.code !== 0)
    throw new CoreError('deploy-failed', `cannot create ${dir} on ${conn.target}: ${mk.stderr.trim()}`);

  const tmp = `${dir}/.${artifact.name}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    await sftpCall<undefined>(`upload to ${conn.target} failed`, (cb) =>
      sftp.fastPut(artifact.localPath, tmp, { mode: 0o700 }, (e) => cb(e)),
    );
    const uploadedHash = await remoteSha256(conn, tmp);
    if (uploadedHash !== artifact.sha256)
      throw new CoreError(
        'deploy-failed',
        `uploaded ${artifact.name} hashes to ${uploadedHash ?? 'nothing'} on ${conn.target}, expected ${artifact.sha256}`,
      );
    await renameOver(sftp, conn, tmp, remotePath);
  } catch (e) {
    await execCommand(conn, `rm -f ${shQuote(tmp)}`, { timeoutMs: 10_000 }).catch(() => undefined);
    throw e;
  }
  return { remotePath, sha256: artifact.sha256, uploaded: true, replacedCorrupt: present !== undefined };
}

/** rename(2) over an existing file: OpenSSH's posix-rename extension, else `mv -f` on the host. */
async function renameOver(sftp: SFTPWrapper, runner: CommandRunner, from: string, to: string): Promise<void> {
  try {
    await sftpCall<undefined>('posix-rename', (cb) => sftp.ext_openssh_rename(from, to, (e) => cb(e)));
    return;
  } catch {
    // server without the extension: fall through to mv
  }
  const r = await execCommand(runner, `mv -f ${shQuote(from)} ${shQuote(to)}`, { timeoutMs: 10_000 });
  if (r.code !== 0)
    throw new CoreError('deploy-failed', `cannot rename ${from} on ${runner.target}: ${r.stderr.trim()}`);
}
