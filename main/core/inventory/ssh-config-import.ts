import { readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import SSHConfig from 'ssh-config';
import { HostSchema, type Host } from '../../api/hosts.js';
import { formatIssues } from '../../api/validate.js';
import { CoreError } from '../errors.js';
import { readRegularFile } from '../fs/bounded-read.js';
import { MAX_JUMP_HOPS } from '../ssh/jump-chain.js';
import { wildcardMatch } from '../ssh/known-hosts.js';
import { expandHome } from '../fs/expand-home.js';

/**
 * Reads ~/.ssh/config into inventory hosts. The `ssh-config` package computes each concrete alias the way ssh(1)
 * would (first value wins, wildcard `Host` blocks apply, `Match exec` is never run: matchExec false). It does not
 * follow `Include`, so includes are spliced in here first, with ssh(1)'s rules: relative paths are under ~/.ssh,
 * globs expand in lexical order, missing files are ignored, nesting is limited (16, as OpenSSH). Only regular files
 * are read, at most MAX_SSH_CONFIG_BYTES in all, and the whole import is linear in the config's size.
 */

export interface SshConfigImport {
  hosts: Host[];
  skipped: { name: string; reason: string }[];
}

const MAX_INCLUDE_DEPTH = 16;
/** The config and everything it includes, together: far above any real one, far below what hurts. */
export const MAX_SSH_CONFIG_BYTES = 4 * 2 ** 20;

/** What is left to read of MAX_SSH_CONFIG_BYTES in one import. */
interface Budget {
  left: number;
}

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

function spend(budget: Budget, bytes: number, file: string): void {
  budget.left -= bytes;
  if (budget.left < 0)
    throw new CoreError(
      'invalid-request',
      `the ssh config with its Includes is larger than ${MAX_SSH_CONFIG_BYTES / 2 ** 20} MiB (at ${file})`,
    );
}

/** The arguments of an `Include` line, or undefined for any other line (no regex: linear on any line). */
function includeArgs(line: string): string | undefined {
  const t = line.trimStart();
  if (t.slice(0, 7).toLowerCase() !== 'include') return undefined;
  const sep = t[7];
  if (sep !== '=' && sep !== ' ' && sep !== '\t') return undefined;
  const rest = t.slice(8).trim().replace(/^=\s*/, '');
  return rest || undefined;
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
const isConcrete = (alias: string) => !/[*?!]/.test(alias);

/** Config text with every Include replaced by the included files' text. */
function spliceIncludes(text: string, home: string, budget: Budget, depth = 0): string {
  return text
    .split(/\r?\n/)
    .map((line) => {
      const args = includeArgs(line);
      if (!args) return line;
      return splitArgs(args)
        .map((p) => expandHome(p, home))
        .map((p) => (isAbsolute(p) ? p : join(home, '.ssh', p)))
        .flatMap(expandGlob)
        .map((f) => loadWithIncludes(f, home, budget, depth + 1))
        .join('\n');
    })
    .join('\n');
}

/** The text of `file` with its Includes spliced in; an included file that is missing is skipped, as ssh does. */
export function loadWithIncludes(
  file: string,
  home: string,
  budget: Budget = { left: MAX_SSH_CONFIG_BYTES },
  depth = 0,
): string {
  if (depth > MAX_INCLUDE_DEPTH)
    throw new CoreError(
      'invalid-request',
      `Include nested deeper than ${MAX_INCLUDE_DEPTH} levels at ${file}`,
    );
  let buf: Buffer;
  try {
    buf = readRegularFile(file, MAX_SSH_CONFIG_BYTES); // then counted against what the import may read in all
  } catch (e) {
    if (depth > 0 && e instanceof CoreError && e.code === 'not-found') return '';
    if (depth > 0 && e instanceof CoreError)
      throw new CoreError('invalid-request', `Include ${file}: ${e.message}`);
    throw e;
  }
  spend(budget, buf.length, file);
  return spliceIncludes(buf.toString('utf8'), home, budget, depth);
}

/**
 * Per alias, only the lines that can apply to it: directives outside any block, wildcard `Host` and `Match`
 * blocks, and the `Host` blocks naming the alias itself. Computing each alias against the whole config would make
 * an import quadratic (5,000 hosts: minutes); against this subset, in file order, the result is the same.
 */
class ConfigIndex {
  private readonly always: number[] = [];
  private readonly byHost = new Map<string, number[]>();
  /** `Match final` re-runs the Host blocks against the HostName; canonicalization against other names. */
  private readonly needsHostName: boolean;
  private readonly needsAll: boolean;

  constructor(private readonly config: SSHConfig) {
    let final = false;
    let canonical = false;
    config.forEach((line, i) => {
      if (line.type !== SSHConfig.DIRECTIVE) return;
      const param = line.param.toLowerCase();
      const sub = 'config' in line ? [...line.config] : [];
      canonical ||= [line, ...sub].some(
        (l) => l.type === SSHConfig.DIRECTIVE && /^canonicalizehostname$/i.test(l.param),
      );
      if (param === 'match')
        final ||= 'criteria' in line && Object.keys(line.criteria).some((k) => k.toLowerCase() === 'final');
      const concrete = param === 'host' ? concretePatterns(line.value) : undefined;
      if (!concrete) this.always.push(i);
      else for (const name of concrete) this.byHost.set(name, [...(this.byHost.get(name) ?? []), i]);
    });
    this.needsHostName = final;
    this.needsAll = canonical;
  }

  compute(alias: string): Record<string, string | string[]> {
    const c = this.computeOver([alias], alias);
    const hostName = first(c.hostname);
    return this.needsHostName && hostName && hostName !== alias
      ? this.computeOver([alias, hostName], alias)
      : c;
  }

  private computeOver(names: readonly string[], alias: string): Record<string, string | string[]> {
    const opts = { matchExec: false, ignoreCase: true };
    if (this.needsAll) return this.config.compute(alias, opts);
    const at = new Set([...this.always, ...names.flatMap((n) => this.byHost.get(n) ?? [])]);
    const sub = new SSHConfig();
    for (const i of [...at].sort((a, b) => a - b)) sub.push(this.config[i] as SSHConfig[number]);
    return sub.compute(alias, opts);
  }
}

/** The names a `Host` line can match when none of its positive patterns is a wildcard (split as ssh-config does). */
function concretePatterns(value: string | { val: string }[]): string[] | undefined {
  const patterns = Array.isArray(value) ? value.map((v) => v.val) : value.split(',');
  const positive = patterns.filter((p) => !p.startsWith('!'));
  return positive.every(isConcrete) ? positive : undefined;
}

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

/** Reads `file` (default ~/.ssh/config) with its Includes and turns its concrete Host entries into hosts. */
export function importSshConfig(
  file?: string,
  home: string = process.env.HOME || homedir(),
): SshConfigImport {
  const path = file ? expandHome(file, home) : join(home, '.ssh', 'config');
  try {
    return hostsOfConfig(loadWithIncludes(path, home), path, home);
  } catch (e) {
    // Said as ~/…: browser mode passes this to a peer, which has no business learning where home is.
    if (!(e instanceof CoreError)) throw e;
    if (!file && e.code === 'not-found')
      throw new CoreError('not-found', 'there is no ~/.ssh/config for the user running pktpath');
    throw new CoreError(e.code, e.message.split(`${home.replace(/\/+$/, '')}/`).join('~/'));
  }
}

/**
 * Uploaded ssh_config text (`label` names it in the hosts' notes), at most MAX_SSH_CONFIG_BYTES. Its `Include`
 * lines are dropped and listed in `skipped`, never followed: an upload must not make pktpath read files of the
 * uploader's choosing.
 */
export function importSshConfigText(
  text: string,
  label: string,
  home: string = process.env.HOME || homedir(),
): SshConfigImport {
  spend({ left: MAX_SSH_CONFIG_BYTES }, Buffer.byteLength(text, 'utf8'), label);
  const dropped: SshConfigImport['skipped'] = [];
  const kept = text.split(/\r?\n/).filter((line) => {
    const args = includeArgs(line);
    if (args !== undefined)
      dropped.push({ name: `Include ${args}`, reason: 'Include is not followed in uploaded text' });
    return args === undefined;
  });
  const r = hostsOfConfig(kept.join('\n'), label, home);
  return { hosts: r.hosts, skipped: [...dropped, ...r.skipped] };
}

function hostsOfConfig(text: string, source: string, home: string): SshConfigImport {
  const config = SSHConfig.parse(text);
  const aliases = new Set<string>();
  for (const line of config) {
    if (line.type !== SSHConfig.DIRECTIVE || line.param.toLowerCase() !== 'host') continue;
    const values = Array.isArray(line.value) ? line.value.map((v) => v.val) : line.value.split(/\s+/);
    for (const v of values) if (isConcrete(v)) aliases.add(v);
  }
  const importer = new HostBuilder(new ConfigIndex(config), home, source);
  for (const alias of aliases) importer.build(alias);
  return { hosts: [...importer.out.values()], skipped: importer.skipped };
}

/** Builds inventory hosts from computed aliases, jump hosts first; each name is built (or refused) once. */
class HostBuilder {
  readonly out = new Map<string, Host>();
  readonly skipped: SshConfigImport['skipped'] = [];
  private readonly failed = new Set<string>();
  private readonly resolving = new Set<string>();

  constructor(
    private readonly index: ConfigIndex,
    private readonly home: string,
    private readonly origin: string,
  ) {}

  private skip(name: string, reason: string): undefined {
    this.skipped.push({ name, reason });
    this.failed.add(name);
    return undefined;
  }

  /** Builds the host for `alias` (and, first, the hosts of its ProxyJump chain). Returns its inventory name. */
  build(alias: string, over: { user?: string; port?: number } = {}): string | undefined {
    const name = inventoryName(
      over.user || over.port
        ? `${over.user ? `${over.user}@` : ''}${alias}${over.port ? `:${over.port}` : ''}`
        : alias,
    );
    if (this.out.has(name)) return name;
    if (this.failed.has(name)) return undefined;
    if (this.resolving.has(name)) return this.skip(name, 'ProxyJump loop');
    if (this.resolving.size >= MAX_JUMP_HOPS)
      return this.skip(name, `ProxyJump chain deeper than ${MAX_JUMP_HOPS} hops`);
    this.resolving.add(name);
    try {
      const c = this.index.compute(alias);
      if (first(c.proxycommand) && !first(c.proxyjump))
        return this.skip(name, 'ProxyCommand is not supported (use ProxyJump)');
      const jumps = this.jumpsOf(name, first(c.proxyjump));
      if (!jumps) return undefined;
      const r = HostSchema.safeParse(this.candidate(name, alias, c, over, jumps));
      if (!r.success) return this.skip(name, formatIssues('invalid', r.error.issues));
      this.out.set(name, r.data);
      return name;
    } finally {
      this.resolving.delete(name);
    }
  }

  /** The inventory names of a ProxyJump list, each built first; undefined (and `name` skipped) if one fails. */
  private jumpsOf(name: string, pj: string | undefined): string[] | undefined {
    const jumps: string[] = [];
    if (!pj || pj.toLowerCase() === 'none') return jumps;
    for (const spec of pj.split(',')) {
      const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(spec.trim());
      if (!m?.[2]) return this.skip(name, `cannot read ProxyJump "${spec}"`);
      const jumpName = this.build(m[2].replace(/^\[|\]$/g, ''), {
        ...(m[1] ? { user: m[1] } : {}),
        ...(m[3] ? { port: Number(m[3]) } : {}),
      });
      if (!jumpName) return this.skip(name, `its jump host ${spec} could not be imported`);
      jumps.push(jumpName);
    }
    return jumps;
  }

  private candidate(
    name: string,
    alias: string,
    c: Record<string, string | string[]>,
    over: { user?: string; port?: number },
    jumps: string[],
  ) {
    const identity = c.identityfile;
    const files = (Array.isArray(identity) ? identity : identity ? [identity] : []).map((f) =>
      expandHome(f.replace(/%d/g, this.home).replace(/%h/g, alias), this.home),
    );
    const hostName = (first(c.hostname) ?? alias).replace(/%h/g, alias);
    const user = over.user ?? first(c.user);
    return {
      name,
      address: hostName,
      port: over.port ?? Number(first(c.port) ?? 22),
      ...(user ? { user } : {}),
      auth: files.length ? { kind: 'key', identityFiles: files } : { kind: 'agent' },
      jump: jumps,
      tags: ['ssh-config'],
      ...(c.connecttimeout ? { connectTimeoutMs: Number(first(c.connecttimeout)) * 1000 } : {}),
      notes: `imported from ${this.origin} (Host ${alias})`,
    };
  }
}
