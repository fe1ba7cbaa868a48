import type { Host, Privilege } from '../../api/hosts.js';
import type { LoadCheck } from '../../api/limits.js';
import { CoreError } from '../errors.js';
import type { HostAccess } from '../hosts/host-access.js';
import { collectCommand, execCommand } from '../ssh/command-runner.js';
import { spawnPrivileged, type PrivilegeOptions } from '../ssh/privileged.js';
import { LOGIN_PREFLIGHT_SCRIPT, ROOT_PREFLIGHT_SCRIPT } from './preflight-script.js';

/** `key=value` lines; a key may repeat (every value kept, in order). */
export type KeyValues = ReadonlyMap<string, readonly string[]>;

export function parseKeyValues(text: string): KeyValues {
  const kv = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at <= 0) continue;
    const key = line.slice(0, at);
    kv.set(key, [...(kv.get(key) ?? []), line.slice(at + 1)]);
  }
  return kv;
}

/** What the preflight scripts printed, or why one could not run. */
export interface PreflightRaw {
  privilege: Privilege;
  login?: KeyValues;
  loginError?: string;
  root?: KeyValues;
  /** Why root could not be reached (or the root script failed): the privilege method's own words. */
  rootError?: string;
}

const SCRIPT_TIMEOUT_MS = 60_000; // a TCG VM reads a 5 MB BTF blob slowly

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The host's privilege options with the sudo password asked at most once (one request runs root up to 3 times). */
export function askPasswordOnce(opts: PrivilegeOptions): PrivilegeOptions {
  const ask = opts.sudoPassword;
  if (!ask) return opts;
  let answer: Promise<string | undefined> | undefined;
  return { ...opts, sudoPassword: () => (answer ??= ask()) };
}

/** Runs the read-only preflight over the host's link: once as the login user, once as root. */
export async function runPreflight(
  access: HostAccess,
  host: Host,
  privilege: PrivilegeOptions,
): Promise<PreflightRaw> {
  const runner = await access.runner(host);
  const raw: PreflightRaw = { privilege: host.kind === 'local' ? 'root' : host.privilege };
  try {
    const r = await execCommand(runner, LOGIN_PREFLIGHT_SCRIPT, { timeoutMs: SCRIPT_TIMEOUT_MS });
    raw.login = parseKeyValues(r.stdout);
  } catch (e) {
    raw.loginError = messageOf(e);
  }
  try {
    const cmd = await spawnPrivileged(runner, ['/bin/sh', '-c', ROOT_PREFLIGHT_SCRIPT], privilege);
    const r = await collectCommand(cmd, `preflight on ${runner.target}`, { timeoutMs: SCRIPT_TIMEOUT_MS });
    raw.root = parseKeyValues(r.stdout);
  } catch (e) {
    raw.rootError = messageOf(e);
  }
  return raw;
}

/**
 * One raw tracepoint, no function probes, stopped at once (stdin closes after the config): the loader loads its
 * programs exactly as a trace does, so a kernel that refuses them says so here, and nothing stays attached.
 */
const LOAD_CHECK_CONFIG = JSON.stringify({
  version: 1,
  filter: '',
  attach: 'raw-tp',
  probes: { tracepoints: ['kfree_skb'], functions: 'none' },
  limits: { durationMs: 1 },
});

export async function runLoadCheck(
  access: HostAccess,
  host: Host,
  privilege: PrivilegeOptions,
): Promise<LoadCheck> {
  const runner = await access.runner(host);
  const cmd = await access.spawnLoader(host, runner, ['trace', '--json'], undefined, privilege);
  const r = await collectCommand(cmd, `load check on ${runner.target}`, {
    stdin: LOAD_CHECK_CONFIG,
    timeoutMs: SCRIPT_TIMEOUT_MS,
  });
  for (const line of r.stdout.split('\n')) {
    let rec: { type?: unknown; error?: unknown };
    try {
      rec = JSON.parse(line) as typeof rec;
    } catch {
      continue;
    }
    if (rec.type === 'error') return { ok: false, error: String(rec.error) };
    if (rec.type === 'done') return { ok: true };
  }
  throw new CoreError(
    'remote-command-failed',
    `load check on ${runner.target} exited ${r.code ?? r.signal}: ${r.stderr.trim().split('\n').pop() ?? ''}`,
  );
}
