import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keyTypeOfBlob, parsePublicKeyLine, sha256Fingerprint } from '../../../main/core/ssh/fingerprint.js';
import {
  checkHostKey,
  knownHostsLine,
  knownHostsName,
  parseKnownHosts,
  patternListMatches,
  wildcardMatch,
} from '../../../main/core/ssh/known-hosts.js';
import { onPath } from '../../support/requirements.js';

// Keys made by ssh-keygen when it is installed (it is on every lab machine); the fingerprint reference is its own
// `-lf` output. Without ssh-keygen these fixed keys (generated the same way) keep the parser tests running.
const dir = mkdtempSync(join(tmpdir(), 'pktpath-kh-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const haveKeygen = onPath('ssh-keygen');

function genKey(type: string, name: string): string {
  if (!haveKeygen) return FALLBACK[type]!;
  const f = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', f]);
  return readFileSync(`${f}.pub`, 'utf8').trim();
}
const FALLBACK: Record<string, string> = {
  ed25519: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINq+WnGxSL6Bzct7wEuOg113dL41d4GXBr8PvoFsiNtQ a',
  ecdsa: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHCnmLbnmrvP/jeGcmTk3xzXMv+Un56MLkNzbyqQy4/E b',
};

const a = genKey('ed25519', 'a');
const b = genKey('ed25519', 'b');
const e = genKey('ecdsa', 'e');
const blob = (line: string) => parsePublicKeyLine(line).blob;
const entry = (line: string) => line.split(' ').slice(0, 2).join(' ');

describe('fingerprints', () => {
  it.runIf(haveKeygen)('match `ssh-keygen -lf` byte for byte', () => {
    for (const key of [a, e]) {
      const f = join(dir, 'fp.pub');
      writeFileSync(f, key + '\n');
      const expected = execFileSync('ssh-keygen', ['-lf', f], { encoding: 'utf8' }).split(' ')[1];
      expect(sha256Fingerprint(blob(key))).toBe(expected);
    }
  });

  it('read the key type from the blob and refuse a line whose type lies', () => {
    expect(keyTypeOfBlob(blob(a))).toBe('ssh-ed25519');
    expect(sha256Fingerprint(blob(a))).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(() => parsePublicKeyLine(a.replace('ssh-ed25519', 'ssh-rsa'))).toThrow(/says ssh-rsa/);
  });
});

describe('known_hosts patterns', () => {
  it('match wildcards and negations the way ssh(1) does', () => {
    expect(wildcardMatch('*.example.com', 'db.example.com')).toBe(true);
    expect(wildcardMatch('*.example.com', 'example.com')).toBe(false);
    expect(wildcardMatch('web?', 'web1')).toBe(true);
    expect(wildcardMatch('web?', 'web')).toBe(false);
    expect(wildcardMatch('web?', 'web12')).toBe(false);
    expect(wildcardMatch('[10.0.0.*]:2222', '[10.0.0.7]:2222')).toBe(true);
    expect(wildcardMatch('DB*', 'db1')).toBe(true);
    expect(patternListMatches(['*.example.com', '!bad.example.com'], 'bad.example.com')).toBe(false);
    expect(patternListMatches(['*.example.com', '!bad.example.com'], 'good.example.com')).toBe(true);
    expect(patternListMatches(['!bad'], 'good')).toBe(false);
  });

  it('name non-22 ports as [host]:port', () => {
    expect(knownHostsName('Host.Example', 22)).toBe('host.example');
    expect(knownHostsName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
  });
});

describe('host key verdicts', () => {
  it('known, unknown, changed, revoked; other key types only listed', () => {
    const text = [
      '# comment',
      `web1,web2 ${entry(a)}`,
      `[web1]:2222 ${entry(b)}`,
      `*.lab,!evil.lab ${entry(a)}`,
      `@revoked * ${entry(b)}`,
      `ecdsa-host ${entry(e)}`,
      'garbage line',
    ].join('\n');
    const { entries, skipped } = parseKnownHosts(text, 'kh');
    expect(skipped).toEqual([{ at: 'kh:7', reason: 'expected HOSTS KEYTYPE KEY' }]);
    expect(checkHostKey(entries, 'web2', blob(a))).toEqual({ status: 'known', at: 'kh:2' });
    expect(checkHostKey(entries, 'x.lab', blob(a))).toMatchObject({ status: 'known' });
    expect(checkHostKey(entries, 'evil.lab', blob(a))).toMatchObject({ status: 'unknown' });
    expect(checkHostKey(entries, 'web3', blob(a))).toEqual({ status: 'unknown', otherTypes: [] });
    // b is revoked everywhere, even where it is also listed as the host's key.
    expect(checkHostKey(entries, '[web1]:2222', blob(b))).toEqual({ status: 'revoked', at: 'kh:5' });
    if (haveKeygen) {
      const c = genKey('ed25519', 'c');
      expect(checkHostKey(entries, 'web1', blob(c))).toEqual({
        status: 'changed',
        known: [{ fingerprint: sha256Fingerprint(blob(a)), at: 'kh:2' }],
      });
      // A host known only by an ECDSA key presenting ed25519: not "changed" (another type), but listed.
      expect(checkHostKey(entries, 'ecdsa-host', blob(c))).toEqual({
        status: 'unknown',
        otherTypes: [{ keyType: 'ecdsa-sha2-nistp256', fingerprint: sha256Fingerprint(blob(e)), at: 'kh:6' }],
      });
    }
  });

  it('reads hashed |1| names and writes ones ssh-keygen -F can find', () => {
    const line = knownHostsLine('[10.1.2.3]:2222', blob(a), { hash: true });
    expect(line).toMatch(/^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-ed25519 /);
    const { entries } = parseKnownHosts(line, 'own');
    expect(checkHostKey(entries, '[10.1.2.3]:2222', blob(a)).status).toBe('known');
    expect(checkHostKey(entries, '10.1.2.3', blob(a)).status).toBe('unknown');
    if (haveKeygen) {
      const f = join(dir, 'hashed');
      writeFileSync(f, line + '\n');
      const found = execFileSync('ssh-keygen', ['-F', '[10.1.2.3]:2222', '-f', f], { encoding: 'utf8' });
      expect(found).toContain(entry(a).split(' ')[1]);
    }
  });

  it('reports @cert-authority lines as unsupported instead of trusting them', () => {
    const { entries, skipped } = parseKnownHosts(`@cert-authority *.corp ${entry(a)}`, 'kh');
    expect(skipped[0]?.reason).toMatch(/@cert-authority is not supported/);
    expect(checkHostKey(entries, 'x.corp', blob(a)).status).toBe('unknown');
  });
});
