import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { HostSchema, type Host, type HostInput } from '../../main/api/hosts.js';
import { connect, type AskHostKey } from '../../main/core/ssh/connection.js';
import { HostKeyRejectedError } from '../../main/core/ssh/errors.js';
import { parsePublicKeyLine } from '../../main/core/ssh/fingerprint.js';
import { HostKeyStore } from '../../main/core/ssh/host-key-store.js';
import { knownHostsName } from '../../main/core/ssh/known-hosts.js';
import { labContext } from '../support/lab-context.js';

// "Accept once" against the lab's real sshd: the key is trusted for exactly the host:port that was asked about, and
// the same server reached under any other name is asked about again.
const { lab, labIt } = labContext();
const itLab = labIt();
const scratch = mkdtempSync(join(tmpdir(), 'pktpath-accept-once-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function labLocal(over: Partial<HostInput> = {}): Host {
  const h = lab().hosts.local!;
  return HostSchema.parse({
    name: 'lab-local',
    address: h.address,
    port: h.port,
    user: 'root',
    auth: { kind: 'key', identityFiles: [lab().privateKey] },
    ...over,
  });
}
const emptyStore = () =>
  new HostKeyStore({ userFiles: [], ownFile: join(mkdtempSync(join(scratch, 'kh-')), 'known_hosts') });

/** Connects, recording each host-key question and answering it with `answer`. */
async function connectAsking(
  host: Host,
  store: HostKeyStore,
  asked: string[],
  answer: 'accept-once' | 'reject',
) {
  const ask: AskHostKey = async (q) => (asked.push(q.hostPattern), answer);
  const c = await connect(host, { hostKeys: store, askHostKey: ask, resolveHost: () => host });
  c.close();
}

describe('accept once (lab sshd)', () => {
  itLab('pins the host:port asked about; the same server under another name is asked again', async () => {
    const store = emptyStore();
    const asked: string[] = [];
    const port = lab().hosts.local!.port;
    await connectAsking(labLocal(), store, asked, 'accept-once');
    await connectAsking(labLocal(), store, asked, 'accept-once');
    expect(asked).toEqual([`[${lab().hosts.local!.address}]:${port}`]);
    await connectAsking(labLocal({ address: 'localhost' }), store, asked, 'accept-once');
    expect(asked).toEqual([`[${lab().hosts.local!.address}]:${port}`, `[localhost]:${port}`]);
    expect(existsSync(store.ownFile)).toBe(false);
  });

  itLab('a key accepted once under a name with known_hosts syntax (`x,*`) trusts no other host', async () => {
    const store = emptyStore();
    const port = lab().hosts.local!.port;
    // No resolver finds `lab-x,*` (and the inventory now refuses such an address), so the "once" answer for it is
    // recorded on the store directly, as connect() does after the question. Then the lab sshd presents that key.
    store.acceptOnce(knownHostsName('lab-x,*', port), parsePublicKeyLine(lab().hosts.local!.hostKeyPub).blob);
    const asked: string[] = [];
    await expect(connectAsking(labLocal(), store, asked, 'reject')).rejects.toBeInstanceOf(
      HostKeyRejectedError,
    );
    expect(asked).toEqual([`[${lab().hosts.local!.address}]:${port}`]);
  });
});
