import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import SSHConfig from 'ssh-config';
import { HostSchema, type Host } from '../../api/hosts.js';
import { formatIssues } from '../../api/validate.js';
import { wildcardMatch } from '../ssh/known-hosts.js';
import { expandHome } from './expand-home.js';

/**
 * Reads ~/.ssh/config into inventory hosts. The `ssh-config` package computes each concrete alias the way ssh(1)
 * would (first value wins, wildcard `Host` blocks apply, `Match exec` is never run: matchExec false). It does not
 * follow `Include`, so includes are spliced in here first, with ssh(1)'s rules: relative paths are under ~/.ssh,
 * globs expand in lexical order, missing files are ignored, nesting is limited (16, as OpenSSH).
 */

export interface SshConfigImport {
  hosts: Host[];
  skipped: { name: string; reason: string }[];
}

const MAX_INCLUDE_DEPTH = 16;
const INCLUDE_LINE = /^\s*include\s*[=\s]\s*(.+?)\s*$/i;

function splitArgs(s: string): string[] {
  return [...s.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '').filter(Boolean);
}

function expandGlob(pattern: string): string[] {
  const dir = dirname(pattern);
  const base = basename(pattern);
  if (!/[*?]/.test(base)) return [pattern];
  try {
    return readdirSync(dir)
      .filter((f) => !f.startsWith('.') && wildcardMatch(base, f))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** The config text with every Include replaced by the included files' text. */
export function loadWithIncludes(file: string, home: string, depth = 0): string {
  if (depth > MAX_INCLUDE_DEPTH)
    throw new Error(`Include nested deeper than ${MAX_INCLUDE_DEPTH} levels at ${file}`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (depth > 0 && (e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
  return text
    .split(/\r?\n/)
    .map((line) => {
      const m = INCLUDE_LINE.exec(line);
      if (!m?.[1]) return line;
      return splitArgs(m[1])
        .map((p) => expandHome(p, home))
        .map((p) => (isAbsolute(p) ? p : join(home, '.ssh', p)))
        .flatMap(expandGlob)
        .map((f) => loadWithIncludes(f, home, depth + 1))
        .join('\n');
    })
    .join('\n');
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
const isConcrete = (alias: string) => !/[*?!]/.test(alias);

/** Names that are valid inventory host names: "user@host:port" → "user@host-port". */
function inventoryName(s: string): string {
  return (
    s
      .replace(/:/g, '-')
      .replace(/[^A-Za-z0-9._@-]/g, '_')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 64) || 'host'
  );
}

/** Reads `file` (default ~/.ssh/config) and what it includes. */
export function importSshConfig(
  file?: string,
  home: string = process.env.HOME || homedir(),
): SshConfigImport {
  const path = file ? expandHome(file, home) : join(home, '.ssh', 'config');
  return hostsOfConfig(loadWithIncludes(path, home), path, home);
}

/**
 * Uploaded ssh_config text (`label` names it in the hosts' notes). Its `Include` lines are dropped and listed in
 * `skipped`, never followed: an upload must not make pktpath read files of the uploader's choosing.
 */
export function importSshConfigText(
  text: string,
  label: string,
  home: string = process.env.HOME || homedir(),
): SshConfigImport {
  const dropped: SshConfigImport['skipped'] = [];
  const kept = text.split(/\r?\n/).filter((line) => {
    const m = INCLUDE_LINE.exec(line);
    if (m)
      dropped.push({ name: `Include ${m[1] ?? ''}`, reason: 'Include is not followed in uploaded text' });
    return !m;
  });
  const r = hostsOfConfig(kept.join('\n'), label, home);
  return { hosts: r.hosts, skipped: [...dropped, ...r.skipped] };
}

function hostsOfConfig(text: string, source: string, home: string): SshConfigImport {
  const config = SSHConfig.parse(text);
  const compute = (host: string) => config.compute(host, { matchExec: false, ignoreCase: true });

  const aliases: string[] = [];
  for (const line of config) {
    if (line.type !== SSHConfig.DIRECTIVE || line.param.toLowerCase() !== 'host') continue;
    const values = Array.isArray(line.value) ? line.value.map((v) => v.val) : line.value.split(/\s+/);
    for (const v of values) if (isConcrete(v) && !aliases.includes(v)) aliases.push(v);
  }

  const out = new Map<string, Host>();
  const skipped: SshConfigImport['skipped'] = [];
  const resolving = new Set<string>();

  /** Builds the host for `alias` (and, first, the hosts of its ProxyJump chain). Returns its inventory name. */
  const build = (alias: string, over: { user?: string; port?: number } = {}): string | undefined => {
    const name = inventoryName(
      over.user || over.port
        ? `${over.user ? `${over.user}@` : ''}${alias}${over.port ? `:${over.port}` : ''}`
        : alias,
    );
    if (out.has(name)) return name;
    if (resolving.has(name)) {
      skipped.push({ name, reason: 'ProxyJump loop' });
      return undefined;
    }
    resolving.add(name);
    try {
      const c = compute(alias);
      if (first(c.proxycommand) && !first(c.proxyjump)) {
        skipped.push({ name, reason: 'ProxyCommand is not supported (use ProxyJump)' });
        return undefined;
      }
      const jumps: string[] = [];
      const pj = first(c.proxyjump);
      if (pj && pj.toLowerCase() !== 'none') {
        for (const spec of pj.split(',')) {
          const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(spec.trim());
          if (!m?.[2]) {
            skipped.push({ name, reason: `cannot read ProxyJump "${spec}"` });
            return undefined;
          }
          const jumpName = build(m[2].replace(/^\[|\]$/g, ''), {
            ...(m[1] ? { user: m[1] } : {}),
            ...(m[3] ? { port: Number(m[3]) } : {}),
          });
          if (!jumpName) {
            skipped.push({ name, reason: `its jump host ${spec} could not be imported` });
            return undefined;
          }
          jumps.push(jumpName);
        }
      }
      const identity = c.identityfile;
      const files = (Array.isArray(identity) ? identity : identity ? [identity] : []).map((f) =>
        expandHome(f.replace(/%d/g, home).replace(/%h/g, alias), home),
      );
      const hostName = (first(c.hostname) ?? alias).replace(/%h/g, alias);
      const user = over.user ?? first(c.user);
      const candidate = {
        name,
        address: hostName,
        port: over.port ?? Number(first(c.port) ?? 22),
        ...(user ? { user } : {}),
        auth: files.length ? { kind: 'key', identityFiles: files } : { kind: 'agent' },
        jump: jumps,
        tags: ['ssh-config'],
        ...(c.connecttimeout ? { connectTimeoutMs: Number(first(c.connecttimeout)) * 1000 } : {}),
        notes: `imported from ${source} (Host ${alias})`,
      };
      const r = HostSchema.safeParse(candidate);
      if (!r.success) {
        skipped.push({ name, reason: formatIssues('invalid', r.error.issues) });
        return undefined;
      }
      out.set(name, r.data);
      return name;
    } finally {
      resolving.delete(name);
    }
  };

  for (const alias of aliases) build(alias);
  return { hosts: [...out.values()], skipped };
}
