import { join } from 'node:path';
import { z } from 'zod';
import { HostSchema, LOCAL_HOST_NAME, type Host, type HostInput } from '../../api/hosts.js';
import { parseOrThrow } from '../../api/validate.js';
import { ensureDir, pktpathHome } from '../data-dir.js';
import { ConflictError, CoreError, NotFoundError } from '../errors.js';
import { readJsonFile, writeFileAtomic } from '../fs/atomic-file.js';

/** hosts.json: human-readable and versioned so a later pktpath can migrate it. */
export const InventoryFileSchema = z.object({ version: z.literal(1), hosts: z.array(HostSchema) });

/** The built-in host: this machine, no SSH; root directly when pktpath runs as root, else sudo. */
export function localHost(): Host {
  return HostSchema.parse({
    name: LOCAL_HOST_NAME,
    kind: 'local',
    address: 'localhost',
    privilege: process.getuid?.() === 0 ? 'root' : 'sudo',
    notes: 'built-in: runs the loader on this machine without SSH',
  });
}

/**
 * The inventory in `$PKTPATH_HOME/hosts.json`. Every change rewrites the file atomically; a file that does not parse
 * is moved aside (CorruptFileError says where) and the inventory starts empty rather than being overwritten.
 */
export class HostStore {
  readonly file: string;

  constructor(dir: string = pktpathHome()) {
    this.file = join(dir, 'hosts.json');
  }

  private load(): Host[] {
    return readJsonFile(this.file, InventoryFileSchema)?.hosts ?? [];
  }

  private save(hosts: Host[]): void {
    ensureDir(join(this.file, '..'));
    writeFileAtomic(this.file, JSON.stringify({ version: 1, hosts }, null, 2) + '\n');
  }

  list(): Host[] {
    return [localHost(), ...this.load()];
  }

  get(name: string): Host {
    if (name === LOCAL_HOST_NAME) return localHost();
    const h = this.load().find((x) => x.name === name);
    if (!h) throw new NotFoundError(`no host named ${name} (pktpath hosts list)`);
    return h;
  }

  private checkJumps(host: Host, all: readonly Host[]): void {
    for (const j of host.jump) {
      if (j === host.name)
        throw new CoreError('invalid-request', `host ${host.name} cannot be its own jump host`);
      if (j === LOCAL_HOST_NAME)
        throw new CoreError('invalid-request', `the local host cannot be a jump host`);
      if (!all.some((h) => h.name === j))
        throw new NotFoundError(`jump host ${j} of ${host.name} is not in the inventory`);
    }
  }

  add(input: HostInput): Host {
    const host = parseOrThrow(HostSchema, input, 'invalid host');
    if (host.name === LOCAL_HOST_NAME || host.kind === 'local')
      throw new ConflictError(`"${LOCAL_HOST_NAME}" is the built-in host`);
    const hosts = this.load();
    if (hosts.some((h) => h.name === host.name))
      throw new ConflictError(`a host named ${host.name} exists already`);
    this.checkJumps(host, hosts);
    this.save([...hosts, host]);
    return host;
  }

  update(name: string, patch: Partial<HostInput>): Host {
    if (name === LOCAL_HOST_NAME)
      throw new ConflictError(`the built-in host ${LOCAL_HOST_NAME} cannot be edited`);
    const hosts = this.load();
    const i = hosts.findIndex((h) => h.name === name);
    const old = hosts[i];
    if (!old) throw new NotFoundError(`no host named ${name}`);
    const host = parseOrThrow(HostSchema, { ...old, ...patch, name, kind: 'ssh' }, 'invalid host');
    this.checkJumps(host, hosts);
    hosts[i] = host;
    this.save(hosts);
    return host;
  }

  remove(name: string): void {
    if (name === LOCAL_HOST_NAME)
      throw new ConflictError(`the built-in host ${LOCAL_HOST_NAME} cannot be removed`);
    const hosts = this.load();
    if (!hosts.some((h) => h.name === name)) throw new NotFoundError(`no host named ${name}`);
    const users = hosts.filter((h) => h.jump.includes(name)).map((h) => h.name);
    if (users.length) throw new ConflictError(`${name} is the jump host of ${users.join(', ')}`);
    this.save(hosts.filter((h) => h.name !== name));
  }

  /** Adds imported hosts in one write (jump hosts first, as the importer orders them); existing names are kept unless `overwrite`. */
  addMany(
    inputs: readonly Host[],
    overwrite: boolean,
  ): { imported: Host[]; skipped: { name: string; reason: string }[] } {
    const hosts = this.load();
    const imported: Host[] = [];
    const skipped: { name: string; reason: string }[] = [];
    for (const host of inputs) {
      const i = hosts.findIndex((h) => h.name === host.name);
      if (host.name === LOCAL_HOST_NAME) {
        skipped.push({ name: host.name, reason: 'reserved for the built-in host' });
        continue;
      }
      if (i >= 0 && !overwrite) {
        skipped.push({ name: host.name, reason: 'exists already' });
        continue;
      }
      try {
        this.checkJumps(host, hosts);
      } catch (e) {
        skipped.push({ name: host.name, reason: (e as Error).message });
        continue;
      }
      if (i >= 0) hosts[i] = host;
      else hosts.push(host);
      imported.push(host);
    }
    if (imported.length) this.save(hosts);
    return { imported, skipped };
  }
}
