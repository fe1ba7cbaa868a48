import type { ConnectionTest } from '../../../api/hosts.js';
import { toApiError } from '../../../api/handler.js';
import { ConflictError } from '../../errors.js';
import type { CommandRunner } from '../../ssh/command-runner.js';
import type { SshConnection } from '../../ssh/connection.js';
import { importSshConfig, importSshConfigText } from '../../inventory/ssh-config-import.js';
import { execPrivileged } from '../../ssh/privileged.js';
import type { CoreContext, MethodTable } from '../core-context.js';

type HostMethods =
  | 'hosts.list'
  | 'hosts.get'
  | 'hosts.add'
  | 'hosts.update'
  | 'hosts.remove'
  | 'hosts.importSshConfig'
  | 'hosts.disconnect'
  | 'hosts.testConnection';

export function hostMethods(ctx: CoreContext): MethodTable<HostMethods> {
  return {
    'hosts.list': () => ({ hosts: ctx.hosts.list() }),
    'hosts.get': ({ name }) => ctx.hosts.get(name),
    'hosts.add': (host) => ctx.hosts.add(host),
    'hosts.update': ({ name, patch }) => {
      const host = ctx.hosts.update(name, patch);
      ctx.access.pool.drop(name); // new settings, new connection
      return host;
    },
    'hosts.remove': ({ name }) => {
      ctx.hosts.remove(name);
      ctx.access.pool.drop(name);
      return {};
    },
    'hosts.importSshConfig': ({ text, name, only, overwrite, dryRun }) => {
      // No path from a caller: the running user's ~/.ssh/config, or the text a face uploaded.
      const found =
        text === undefined ? importSshConfig() : importSshConfigText(text, name ?? 'uploaded text');
      const wanted = only ? found.hosts.filter((h) => only.includes(h.name)) : found.hosts;
      const r = ctx.hosts.addMany(wanted, overwrite, dryRun);
      return { imported: r.imported, skipped: [...found.skipped, ...r.skipped] };
    },
    'hosts.disconnect': ({ name, force }) => {
      ctx.hosts.get(name); // an unknown name is not-found, not "nothing to close"
      const running = ctx.runs.activeOn(name).map((r) => r.id);
      if (running.length && !force)
        throw new ConflictError(
          `${running.length === 1 ? `run ${running[0]} is` : `runs ${running.join(', ')} are`} tracing on ${name} over this connection; resetting it ends ${running.length === 1 ? 'it' : 'them'}`,
        );
      return { closed: ctx.access.pool.drop(name), endedRuns: running };
    },
    'hosts.testConnection': ({ name, timeoutMs }) => testConnection(ctx, name, timeoutMs),
  };
}

/**
 * Connects afresh (not from the pool: the point is to see the connection work now), runs `id`/`uname`, and
 * checks the privilege method really yields uid 0. Failures are answers (`ok: false` + the typed error), not throws.
 */
async function testConnection(ctx: CoreContext, name: string, timeoutMs?: number): Promise<ConnectionTest> {
  const host = ctx.hosts.get(name);
  const t0 = performance.now();
  let fresh: SshConnection | undefined;
  const result: ConnectionTest = { ok: false, latencyMs: 0 };
  try {
    const runner: CommandRunner =
      host.kind === 'local'
        ? await ctx.access.runner(host)
        : (fresh = await ctx.access.connectFresh(host, timeoutMs));
    const info = await ctx.access.info(runner);
    result.latencyMs = performance.now() - t0;
    Object.assign(result, { user: info.user, kernelRelease: info.kernelRelease, arch: info.arch });
    const id = await execPrivileged(runner, ['id', '-u'], {
      ...ctx.access.privilegeOptions(host, runner),
      runTimeoutMs: timeoutMs ?? 15_000,
    });
    result.privileged = id.code === 0 && id.stdout.trim() === '0';
    result.ok = true;
  } catch (e) {
    result.latencyMs = performance.now() - t0;
    result.error = toApiError(e);
    if (result.error.code === 'privilege-failed') result.privileged = false;
  } finally {
    fresh?.close();
  }
  return result;
}
