import { join } from 'node:path';
import { z } from 'zod';
import { HostSchema, LOCAL_HOST_NAME, type Host, type HostInput, type HostPatch } from '../../api/hosts.js';
import { formatIssues, parseOrThrow } from '../../api/validate.js';
import { ensureDir, pktpathHome } from '../data-dir.js';
import { ConflictError, CoreError, CorruptFileError, NotFoundError } from '../errors.js';
import { moveAside, readJsonFile, writeFileAtomic } from '../fs/atomic-file.js';
import { jumpChain } from '../ssh/jump-chain.js';

/** hosts.json: human-readable and versioned so a later pktpath can migrate it. */
export const INVENTORY_VERSION = 1;
export const InventoryFileSchema = z.object({
  version: z.literal(INVENTORY_VERSION),
  hosts: z.array(HostSchema),
});
/** Read first, so a file from a newer pktpath is refused as such instead of being taken for a corrupt one. */
const VersionedFileSchema = z.object({ version: z.int().min(1) }).loose();

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
 * is moved aside (CorruptFileError says where) and the inventory starts empty rather than being overwritten. A file
 * written by a newer pktpath is refused and left alone.
 */
export class HostStore {
  readonly file: string;

  constructor(dir: string = pktpathHome()) {
    this.file = join(dir, 'hosts.json');
  }

  private load(): Host[] {
    const doc = readJsonFile(this.file, VersionedFileSchema);
    if (!doc) return [];
    if (doc.version > INVENTORY_VERSION)
      throw new CoreError(
        'invalid-request',
        `${this.file} was written by a newer pktpath (inventory version ${doc.version}; this one reads ` +
          `${INVENTORY_VERSION}): upgrade pktpath; the file is left as it is`,
      );
    const r = InventoryFileSchema.safeParse(doc);
    if (!r.success)
      throw new CorruptFileError(
        this.file,
        moveAside(this.file),
        formatIssues('invalid content', r.error.issues),
      );
    return r.data.hosts;
  }

  private save(hosts: Host[]): void {
    ensureDir(join(this.file, '..'));
    writeFileAtomic(this.file, JSON.stringify({ version: INVENTORY_VERSION, hosts }, null, 2) + '\n');
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

  /**
   * The jump hosts of `host` exist, are not `local`, and expand to a chain without loops and of bounded length
   * (within `all`, the inventory as it will be written).
   */
  private checkJumps(host: Host, all: ReadonlyMap<string, Host>): void {
    for (const j of host.jump) {
      if (j === host.name)
        throw new CoreError('invalid-request', `host ${host.name} cannot be its own jump host`);
      if (j === LOCAL_HOST_NAME)
        throw new CoreError('invalid-request', `the local host cannot be a jump host`);
      if (!all.has(j)) throw new NotFoundError(`jump host ${j} of ${host.name} is not in the inventory`);
    }
    jumpChain(host, (n) => all.get(n) ?? host); // every name was checked above
  }

  /** After a host's jump list changed, every host whose chain goes through it must still expand. */
  private checkDependents(old: Host, all: ReadonlyMap<string, Host>): void {
    const name = old.name;
    if (all.get(name)?.jump.join('\n') === old.jump.join('\n')) return; // the graph is the same
    for (const h of all.values()) if (h.name !== name && h.jump.length) jumpChain(h, (n) => all.get(n) ?? h);
  }

  add(input: HostInput): Host {
    const host = parseOrThrow(HostSchema, input, 'invalid host');
    if (host.name === LOCAL_HOST_NAME || host.kind === 'local')
      throw new ConflictError(`"${LOCAL_HOST_NAME}" is the built-in host`);
    const hosts = this.load();
    if (hosts.some((h) => h.name === host.name))
      throw new ConflictError(`a host named ${host.name} exists already`);
    this.checkJumps(host, byName(hosts));
    this.save([...hosts, host]);
    return host;
  }

  /** Changes the fields `patch` names (`null` unsets an optional one); the others keep their values. */
  update(name: string, patch: HostPatch): Host {
    if (name === LOCAL_HOST_NAME)
      throw new ConflictError(`the built-in host ${LOCAL_HOST_NAME} cannot be edited`);
    const hosts = this.load();
    const i = hosts.findIndex((h) => h.name === name);
    const old = hosts[i];
    if (!old) throw new NotFoundError(`no host named ${name}`);
    const named = Object.entries(patch).filter(([, v]) => v !== undefined);
    const merged = Object.fromEntries(
      Object.entries({ ...old, ...Object.fromEntries(named) }).filter(([, v]) => v !== null),
    );
    const host = parseOrThrow(HostSchema, { ...merged, name, kind: 'ssh' }, 'invalid host');
    hosts[i] = host;
    const all = byName(hosts);
    this.checkJumps(host, all);
    this.checkDependents(old, all);
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
    dryRun = false,
  ): { imported: Host[]; skipped: { name: string; reason: string }[] } {
    const all = byName(this.load()); // insertion order is the file's order; a replaced host keeps its place
    const imported: Host[] = [];
    const skipped: { name: string; reason: string }[] = [];
    for (const host of inputs) {
      const old = all.get(host.name);
      if (host.name === LOCAL_HOST_NAME) {
        skipped.push({ name: host.name, reason: 'reserved for the built-in host' });
        continue;
      }
      if (old && !overwrite) {
        skipped.push({ name: host.name, reason: 'exists already' });
        continue;
      }
      all.set(host.name, host);
      try {
        this.checkJumps(host, all);
        if (old) this.checkDependents(old, all);
      } catch (e) {
        if (old) all.set(host.name, old);
        else all.delete(host.name);
        skipped.push({ name: host.name, reason: (e as Error).message });
        continue;
      }
      imported.push(host);
    }
    if (imported.length && !dryRun) this.save([...all.values()]);
    return { imported, skipped };
  }
}

function byName(hosts: readonly Host[]): Map<string, Host> {
  return new Map(hosts.map((h) => [h.name, h]));
}
