import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePublicKeyLine } from '../../../main/core/ssh/fingerprint.js';
import { HostKeyStore } from '../../../main/core/ssh/host-key-store.js';
import { knownHostsName } from '../../../main/core/ssh/known-hosts.js';

// "Accept once" pins the name that was asked about and nothing else, whatever characters that name holds.
const dir = mkdtempSync(join(tmpdir(), 'pktpath-once-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const key = parsePublicKeyLine(
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINq+WnGxSL6Bzct7wEuOg113dL41d4GXBr8PvoFsiNtQ a',
).blob;
const store = () =>
  new HostKeyStore({ userFiles: [], ownFile: join(mkdtempSync(join(dir, 's-')), 'known_hosts') });

describe('HostKeyStore.acceptOnce', () => {
  it('pins exactly the host:port asked about, for this process only', () => {
    const s = store();
    s.acceptOnce(knownHostsName('web1', 2222), key);
    expect(s.verify('[web1]:2222', key).status).toBe('known');
    for (const other of ['[web1]:22', 'web1', '[web2]:2222', '[WEB1]:2222x'])
      expect(s.verify(other, key).status, other).toBe('unknown');
    expect(readdirSync(join(s.ownFile, '..'))).toEqual([]);
  });

  it('never reads the name as known_hosts syntax: `x,*`, `[x,*]:2222`, `!y,*`, spaces', () => {
    for (const [address, port] of [
      ['x,*', 22],
      ['x,*', 2222],
      ['!y,*', 22],
      ['x *', 22],
      ['|1|x', 22],
    ] as const) {
      const s = store();
      const name = knownHostsName(address, port);
      s.acceptOnce(name, key);
      expect(s.verify(name, key).status, name).toBe('known');
      for (const other of ['x', 'evil.example', '[evil.example]:2222', '[127.0.0.1]:2222', '*', 'y'])
        expect(s.verify(other, key).status, `${name} then ${other}`).toBe('unknown');
    }
  });
});
