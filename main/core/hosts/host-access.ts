import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Host } from '../../api/hosts.js';
import { deployArtifact } from '../deploy/deploy-artifact.js';
import {
  artifactsForArch,
  checkLocalArtifact,
  readManifest,
  type LocalArtifact,
} from '../deploy/manifest.js';
import { RootExecRefusedError, spawnVerifiedLoader } from '../deploy/root-exec.js';
import { CoreError } from '../errors.js';
import { canTransferFiles, execCommand, LocalRunner, type CommandRunner } from '../ssh/command-runner.js';
import { connect, type ConnectOptions, type SshConnection } from '../ssh/connection.js';
import { ConnectionPool } from '../ssh/pool.js';
import type { PrivilegeOptions } from '../ssh/privileged.js';
import type { RunningCommand } from '../ssh/command-runner.js';

export const LOADER_NAME = 'pktpath-loader';

/** What `uname` and `id` say about a host's login session. */
export interface HostInfo {
  user: string;
  kernelRelease: string;
  arch: string;
}

/** resources/ beside the package: walk up from this file (src under main/, build under dist/main/). */
export function findResourcesDir(from: string = import.meta.dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'resources', 'manifest.json'))) return join(dir, 'resources');
    if (dirname(dir) === dir)
      throw new CoreError('internal', `no resources/manifest.json above ${from}; pass resourcesDir`);
  }
}

/**
 * Everything that reaches a host: the SSH pool (or this machine for `local`), the host's facts, the loader on it
 * (deployed and verified for its arch), and privileged execution with the sudo password asked only when needed.
 */
export class HostAccess {
  readonly pool: ConnectionPool;
  private readonly local = new LocalRunner();
  private readonly infos = new WeakMap<object, Promise<HostInfo>>();
  private readonly loaders = new WeakMap<object, Promise<{ path: string; sha256: string; size: number }>>();
  private manifest: LocalArtifact[] | undefined;

  constructor(
    private readonly connectOptions: ConnectOptions,
    readonly resourcesDir: string,
    private readonly askSudoPassword: (host: Host, target: string) => Promise<string | undefined>,
  ) {
    this.pool = new ConnectionPool(connectOptions);
  }

  async runner(host: Host): Promise<CommandRunner> {
    return host.kind === 'local' ? this.local : this.pool.get(host);
  }

  /** A fresh connection outside the pool (connection tests must really connect, with their own timeout). */
  connectFresh(host: Host, timeoutMs?: number): Promise<SshConnection> {
    return connect(host, { ...this.connectOptions, ...(timeoutMs ? { timeoutMs } : {}) });
  }

  info(runner: CommandRunner): Promise<HostInfo> {
    let p = this.infos.get(runner);
    if (!p) {
      p = (async () => {
        const r = await execCommand(runner, 'id -un; uname -r; uname -m', { timeoutMs: 15_000 });
        const [user, kernelRelease, arch] = r.stdout.trim().split('\n');
        if (r.code !== 0 || !user || !kernelRelease || !arch)
          throw new CoreError(
            'remote-command-failed',
            `cannot read uname on ${runner.target}: ${r.stderr.trim() || `exit ${r.code}`}`,
          );
        return { user, kernelRelease, arch };
      })();
      p.catch(() => this.infos.delete(runner));
      this.infos.set(runner, p);
    }
    return p;
  }

  /** Names the shipped loaders of every arch (16 hex digits of a hash of their sha256s): what the probe cache is
   * keyed by, since another loader may find other facts on the same kernel. */
  loaderStamp(): string {
    this.manifest ??= readManifest(join(this.resourcesDir, 'manifest.json'));
    const shas = this.manifest.filter((a) => a.name === LOADER_NAME).map((a) => `${a.arch}:${a.sha256}`);
    return createHash('sha256').update(shas.sort().join('\n')).digest('hex').slice(0, 16);
  }

  private loaderArtifact(arch: string): LocalArtifact {
    this.manifest ??= readManifest(join(this.resourcesDir, 'manifest.json'));
    const a = artifactsForArch(this.manifest, arch).find((x) => x.name === LOADER_NAME);
    if (!a) throw new CoreError('deploy-failed', `resources/manifest.json has no ${LOADER_NAME} for ${arch}`);
    return a;
  }

  /**
   * The loader on the host and its shipped sha256: for `local` the shipped file itself (its sha256 checked against
   * the manifest), for SSH hosts a copy deployed once per connection. Neither check is what makes running it as
   * root safe: spawnLoader has root verify its own copy right before every run.
   */
  private deployed(host: Host, runner: CommandRunner, onDeploy?: () => void) {
    let p = this.loaders.get(runner);
    if (!p) {
      p = (async () => {
        const { arch } = await this.info(runner);
        const artifact = this.loaderArtifact(arch);
        if (host.kind === 'local') {
          await checkLocalArtifact(artifact);
          return { path: resolve(artifact.localPath), sha256: artifact.sha256, size: artifact.size };
        }
        onDeploy?.();
        if (!canTransferFiles(runner))
          throw new CoreError(
            'deploy-failed',
            `${runner.target}: no file transfer to deploy the loader with`,
          );
        const d = await deployArtifact(runner, artifact);
        return { path: d.remotePath, sha256: d.sha256, size: artifact.size };
      })();
      p.catch(() => this.loaders.delete(runner));
      this.loaders.set(runner, p);
    }
    return p;
  }

  /** The loader's path on the host, for commands the login user runs itself (no privilege, e.g. check-filter). */
  async loader(host: Host, runner: CommandRunner, onDeploy?: () => void): Promise<string> {
    return (await this.deployed(host, runner, onDeploy)).path;
  }

  privilegeOptions(host: Host, runner: CommandRunner): PrivilegeOptions {
    return {
      privilege: host.privilege,
      sudoPassword: () => this.askSudoPassword(host, runner.target),
    };
  }

  /**
   * Runs the loader as root with `args`; resolves once root has verified its own copy and started it (see
   * spawnVerifiedLoader). A refused copy also forgets this connection's deploy, so the next run uploads afresh.
   * `privilege` lets several root runs of one request share one sudo password answer.
   */
  async spawnLoader(
    host: Host,
    runner: CommandRunner,
    args: string[],
    onDeploy?: () => void,
    privilege: PrivilegeOptions = this.privilegeOptions(host, runner),
  ): Promise<RunningCommand> {
    const loader = await this.deployed(host, runner, onDeploy);
    try {
      return await spawnVerifiedLoader(runner, loader, args, privilege);
    } catch (e) {
      if (e instanceof RootExecRefusedError) this.loaders.delete(runner);
      throw e;
    }
  }

  close(): void {
    this.pool.closeAll();
  }
}
