import type { HostInput, HostPatch, Privilege } from '../../api/hosts.js';
import { PrivilegeSchema } from '../../api/hosts.js';
import { homedir } from 'node:os';
import { expandHome } from '../../core/fs/expand-home.js';
import { loadWithIncludes } from '../../core/inventory/ssh-config-import.js';
import { intOption, parseCommand, UsageError } from '../args.js';
import { json, type CliContext } from '../cli-context.js';

const SUBCOMMANDS = 'add|update|list|rm|test|import-ssh-config';

export async function hostsCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'add':
      return add(rest, ctx);
    case 'update':
      return update(rest, ctx);
    case 'list':
      return list(rest, ctx);
    case 'rm':
    case 'remove': {
      const { at } = parseCommand('hosts rm', rest, {}, { min: 1, max: 1, names: 'NAME' });
      await (await ctx.core()).call('hosts.remove', { name: at(0) });
      return 0;
    }
    case 'test':
      return test(rest, ctx);
    case 'import-ssh-config': {
      const { positionals, values } = parseCommand(
        'hosts import-ssh-config',
        rest,
        { overwrite: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } },
        { min: 0, max: 1, names: '[FILE] [--overwrite] [--dry-run]' },
      );
      const r = await (
        await ctx.core()
      ).call('hosts.importSshConfig', {
        ...(positionals[0] !== undefined ? sshConfigFile(positionals[0]) : {}),
        overwrite: values.overwrite ?? false,
        dryRun: values['dry-run'] ?? false,
      });
      if (values.json) ctx.io.out(json(r));
      else {
        const verb = values['dry-run'] ? 'would import' : 'imported';
        for (const h of r.imported)
          ctx.io.out(`${verb} ${h.name} (${h.user ? `${h.user}@` : ''}${h.address}:${h.port})`);
        for (const s of r.skipped) ctx.io.out(`skipped ${s.name}: ${s.reason}`);
      }
      return 0;
    }
    default:
      throw new UsageError(`usage: pktpath hosts ${SUBCOMMANDS} …`);
  }
}

/**
 * The CLI reads FILE itself, with ssh(1)'s Include rules (the user named it at their own shell), and hands the API
 * the text: the API takes no path, and does not follow Include in text it is given.
 */
function sshConfigFile(file: string): { text: string; name: string } {
  const path = expandHome(file);
  return { text: loadWithIncludes(path, process.env.HOME || homedir()), name: path };
}

const HOST_OPTIONS = {
  address: { type: 'string' },
  port: { type: 'string' },
  user: { type: 'string' },
  identity: { type: 'string', multiple: true },
  auth: { type: 'string' },
  jump: { type: 'string', multiple: true },
  tag: { type: 'string', multiple: true },
  privilege: { type: 'string' },
  notes: { type: 'string' },
  'timeout-ms': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** The host fields the options name, and only those (`hosts update` changes nothing else). */
function hostFields(command: string, values: HostOptionValues): Partial<Omit<HostInput, 'name' | 'kind'>> {
  const authKind = values.auth ?? (values.identity ? 'key' : undefined);
  let auth: HostInput['auth'];
  if (authKind === 'key') {
    if (!values.identity?.length) throw new UsageError(`${command}: --auth key needs --identity FILE`);
    auth = { kind: 'key', identityFiles: values.identity };
  } else if (authKind === 'agent' || authKind === 'password' || authKind === 'keyboard-interactive')
    auth = { kind: authKind };
  else if (authKind !== undefined)
    throw new UsageError(
      `${command}: --auth is agent, key, password or keyboard-interactive, not "${authKind}"`,
    );
  let privilege: Privilege | undefined;
  if (values.privilege !== undefined) {
    const p = PrivilegeSchema.safeParse(values.privilege);
    if (!p.success)
      throw new UsageError(
        `${command}: --privilege is ${PrivilegeSchema.options.join(', ')}, not "${values.privilege}"`,
      );
    privilege = p.data;
  }
  const port = intOption(command, 'port', values.port, 1);
  const timeout = intOption(command, 'timeout-ms', values['timeout-ms'], 100);
  return {
    ...(values.address !== undefined ? { address: values.address } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(values.user !== undefined ? { user: values.user } : {}),
    ...(auth ? { auth } : {}),
    ...(values.jump ? { jump: values.jump } : {}),
    ...(values.tag ? { tags: values.tag } : {}),
    ...(privilege ? { privilege } : {}),
    ...(values.notes !== undefined ? { notes: values.notes } : {}),
    ...(timeout !== undefined ? { connectTimeoutMs: timeout } : {}),
  };
}
type HostOptionValues = ReturnType<typeof parseHostOptions>['values'];

function parseHostOptions(command: string, argv: readonly string[], names: string) {
  return parseCommand(command, argv, HOST_OPTIONS, { min: 1, max: 1, names });
}

async function add(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { at, values } = parseHostOptions(
    'hosts add',
    argv,
    'NAME --address HOST [--port N] [--user U] [--identity FILE] [--jump NAME] [--tag T]…',
  );
  if (!values.address) throw new UsageError('hosts add: --address HOST is required');
  const { address: _a, ...fields } = hostFields('hosts add', values);
  const input: HostInput = { name: at(0), address: values.address, ...fields };
  const host = await (await ctx.core()).call('hosts.add', input);
  ctx.io.out(
    values.json
      ? json(host)
      : `added ${host.name} (${host.user ? `${host.user}@` : ''}${host.address}:${host.port})`,
  );
  return 0;
}

async function update(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { at, values } = parseHostOptions(
    'hosts update',
    argv,
    'NAME [--address HOST] [--port N] [--user U] [--identity FILE] [--jump NAME] [--tag T]…',
  );
  const patch: HostPatch = hostFields('hosts update', values);
  if (!Object.keys(patch).length) throw new UsageError('hosts update: name at least one field to change');
  const host = await (await ctx.core()).call('hosts.update', { name: at(0), patch });
  ctx.io.out(
    values.json
      ? json(host)
      : `updated ${host.name} (${host.user ? `${host.user}@` : ''}${host.address}:${host.port})`,
  );
  return 0;
}

async function list(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommand(
    'hosts list',
    argv,
    { json: { type: 'boolean' } },
    { min: 0, max: 0, names: '[--json]' },
  );
  const { hosts } = await (await ctx.core()).call('hosts.list', {});
  if (values.json) {
    ctx.io.out(json(hosts));
    return 0;
  }
  for (const h of hosts) {
    const where = h.kind === 'local' ? 'this machine' : `${h.user ? `${h.user}@` : ''}${h.address}:${h.port}`;
    const extra = [
      h.jump.length ? `via ${h.jump.join(' → ')}` : '',
      h.privilege,
      h.tags.length ? `tags ${h.tags.join(',')}` : '',
    ]
      .filter(Boolean)
      .join('  ');
    ctx.io.out(`${h.name.padEnd(16)} ${where.padEnd(28)} ${extra}`.trimEnd());
  }
  return 0;
}

async function test(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { at, values } = parseCommand(
    'hosts test',
    argv,
    { json: { type: 'boolean' }, 'timeout-ms': { type: 'string' } },
    { min: 1, max: 1, names: 'NAME [--json]' },
  );
  const timeoutMs = intOption('hosts test', 'timeout-ms', values['timeout-ms'], 100);
  const r = await (
    await ctx.core()
  ).call('hosts.testConnection', {
    name: at(0),
    ...(timeoutMs ? { timeoutMs } : {}),
  });
  if (values.json) ctx.io.out(json(r));
  else if (r.ok)
    ctx.io.out(
      `${at(0)}: ok in ${Math.round(r.latencyMs)} ms, ${r.user} on ${r.kernelRelease} ${r.arch}, ` +
        `${r.privileged ? 'root available' : 'NOT root'}${r.error ? ` (${r.error.message})` : ''}`,
    );
  if (!r.ok && r.error) ctx.io.err(`pktpath: ${r.error.message}`);
  return r.ok && r.privileged ? 0 : 1;
}
