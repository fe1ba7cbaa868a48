import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostInput } from '../../main/api/hosts.js';
import { ensureDir, pktpathHome } from '../../main/core/data-dir.js';
import { writeFileAtomic } from '../../main/core/fs/atomic-file.js';
import { HostStore } from '../../main/core/inventory/host-store.js';
import { HostKeyStore } from '../../main/core/ssh/host-key-store.js';
import { entryMatches, knownHostsName, parseKnownHosts } from '../../main/core/ssh/known-hosts.js';
import type { LabHost, LabHostName, LabState } from './lab.js';

/**
 * `npm run lab:inventory`: the running lab's hosts as pktpath inventory entries in $PKTPATH_HOME, each host key
 * pinned in pktpath's own known_hosts, so `pktpath probe vm510` (or the app) works by hand without prompts.
 * Written through pktpath's own inventory and host-key code, so the entries are exactly what `hosts add` makes.
 */
export const LAB_TAG = 'pktpath-lab';

interface LabEntry {
  name: string;
  host: LabHostName;
  user?: string;
  privilege: NonNullable<HostInput['privilege']>;
}

/** Inventory names: the VMs keep their lab names; the sshd hosts get a `lab-` prefix (`local` is built in). */
function entriesFor(state: LabState): (LabEntry & { h: LabHost })[] {
  const { sudoNoPassword, sudoPassword } = state.users;
  const entries: LabEntry[] = [
    { name: 'lab-local', host: 'local', privilege: 'root' },
    { name: 'lab-nopw', host: 'local', user: sudoNoPassword.name, privilege: 'sudo' },
    { name: 'lab-pw', host: 'local', user: sudoPassword.name, privilege: 'sudo-password' },
    { name: 'lab-jump', host: 'jump', privilege: 'root' },
  ];
  for (const h of Object.values(state.hosts))
    if (h.kind === 'vm') entries.push({ name: h.name, host: h.name, privilege: 'root' });
  return entries.flatMap((e) => {
    const h = state.hosts[e.host];
    return h ? [{ ...e, h }] : [];
  });
}

/** Drops every line of pktpath's own known_hosts that names `name` (a lab port reused with another key). */
function forgetHostKeys(file: string, name: string): void {
  if (!existsSync(file)) return;
  const lines = readFileSync(file, 'utf8').split('\n');
  const kept = lines.filter((l) => !parseKnownHosts(l, file).entries.some((e) => entryMatches(e, name)));
  if (kept.length !== lines.length) writeFileAtomic(file, kept.join('\n'));
}

function pinHostKey(keys: HostKeyStore, h: LabHost): void {
  const name = knownHostsName(h.address, h.port);
  const blob = Buffer.from(h.hostKeyPub.trim().split(/\s+/)[1] ?? '', 'base64');
  if (keys.verify(name, blob).status === 'known') return;
  forgetHostKeys(keys.ownFile, name);
  keys.save(name, blob);
  const v = keys.verify(name, blob);
  // only another file (the user's ~/.ssh/known_hosts, read only) can still disagree
  if (v.status !== 'known')
    throw new Error(`${name}: host key still ${v.status} after pinning (${JSON.stringify(v)})`);
}

/** Adds or refreshes the lab's hosts; a same-named host without the lab's tag is the user's own and is left alone. */
export function writeLabInventory(state: LabState, home = pktpathHome()): string[] {
  ensureDir(home);
  const store = new HostStore(home);
  const keys = new HostKeyStore({ ownFile: join(home, 'known_hosts') });
  const lines: string[] = [];
  for (const { h, ...e } of entriesFor(state)) {
    const input = {
      name: e.name,
      address: h.address,
      port: h.port,
      user: e.user ?? 'root',
      auth: { kind: 'key', identityFiles: [state.privateKey] },
      privilege: e.privilege,
      tags: [LAB_TAG],
      notes: `pktpath test lab: ${e.host}, kernel ${h.kernelRelease} (npm run lab:inventory)`,
    } satisfies HostInput;
    const existing = store.list().find((x) => x.name === e.name);
    if (existing && !existing.tags.includes(LAB_TAG)) {
      lines.push(`skipped ${e.name}: a host of that name without the ${LAB_TAG} tag exists`);
      continue;
    }
    if (existing) store.update(e.name, input);
    else store.add(input);
    pinHostKey(keys, h);
    lines.push(`${e.name.padEnd(9)} ${e.user ?? 'root'}@${h.address}:${h.port} ${h.kernelRelease}`);
  }
  return lines;
}
