import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { keyTypeOfBlob, sha256Fingerprint } from './fingerprint.js';

/**
 * OpenSSH known_hosts, read the way ssh(1) reads it (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): optional marker,
 * host patterns (comma list with `*`, `?`, `!` negation, `[host]:port` for non-22 ports) or one hashed
 * `|1|salt|hmac-sha1` name, key type, base64 key. `@cert-authority` lines are parsed but reported unsupported:
 * pktpath checks plain host keys only.
 */

export interface KnownHostEntry {
  marker?: 'revoked' | 'cert-authority';
  /** Plain patterns, or undefined for a hashed entry. */
  patterns?: string[];
  hashed?: { salt: Buffer; hash: Buffer };
  keyType: string;
  blob: Buffer;
  /** "file:line" for messages. */
  at: string;
}

export interface KnownHostsParse {
  entries: KnownHostEntry[];
  /** Lines that were skipped, with why (never fatal: ssh(1) skips them too). */
  skipped: { at: string; reason: string }[];
}

export function parseKnownHosts(text: string, source: string): KnownHostsParse {
  const entries: KnownHostEntry[] = [];
  const skipped: KnownHostsParse['skipped'] = [];
  text.split('\n').forEach((raw, i) => {
    const at = `${source}:${i + 1}`;
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return void skipped.push({ at, reason: `unknown marker ${m}` });
    }
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64) return void skipped.push({ at, reason: 'expected HOSTS KEYTYPE KEY' });
    const blob = Buffer.from(b64, 'base64');
    let blobType: string;
    try {
      blobType = keyTypeOfBlob(blob);
    } catch (e) {
      return void skipped.push({ at, reason: (e as Error).message });
    }
    if (blobType !== keyType)
      return void skipped.push({ at, reason: `key type ${keyType} does not match its key (${blobType})` });
    if (marker === 'cert-authority')
      skipped.push({
        at,
        reason: '@cert-authority is not supported by pktpath (host certificates are not checked)',
      });
    const entry: KnownHostEntry = { keyType, blob, at, ...(marker ? { marker } : {}) };
    if (hosts.startsWith('|1|')) {
      const [, , salt, hash] = hosts.split('|');
      if (!salt || !hash) return void skipped.push({ at, reason: 'malformed hashed host name' });
      entry.hashed = { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
    } else {
      entry.patterns = hosts.split(',').filter(Boolean);
    }
    entries.push(entry);
  });
  return { entries, skipped };
}

/** The name known_hosts stores for a host: `host` on port 22, `[host]:port` elsewhere. */
export function knownHostsName(address: string, port: number): string {
  const host = address.toLowerCase();
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH wildcard match: `*` any run, `?` exactly one character, case-insensitive, whole string. */
export function wildcardMatch(pattern: string, text: string): boolean {
  const p = pattern.toLowerCase();
  const t = text.toLowerCase();
  // Iterative glob with backtracking on the last `*`: linear in practice, no regex escaping pitfalls.
  let pi = 0;
  let ti = 0;
  let star = -1;
  let mark = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === t[ti])) {
      pi++;
      ti++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = ti;
    } else if (star !== -1) {
      pi = star + 1;
      ti = ++mark;
    } else return false;
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** ssh(1) semantics for a pattern list: any negated match rejects; otherwise any positive match accepts. */
export function patternListMatches(patterns: readonly string[], name: string): boolean {
  let positive = false;
  for (const pat of patterns) {
    if (pat.startsWith('!')) {
      if (wildcardMatch(pat.slice(1), name)) return false;
    } else if (wildcardMatch(pat, name)) positive = true;
  }
  return positive;
}

export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  if (entry.hashed) {
    const mac = createHmac('sha1', entry.hashed.salt).update(name).digest();
    return mac.length === entry.hashed.hash.length && timingSafeEqual(mac, entry.hashed.hash);
  }
  return patternListMatches(entry.patterns ?? [], name);
}

export type HostKeyVerdict =
  | { status: 'known'; at: string }
  | { status: 'revoked'; at: string }
  /** Same key type on record with another key: refuse. */
  | { status: 'changed'; known: { fingerprint: string; at: string }[] }
  /** Nothing on record for this key type (other types may be known, listed for the prompt). */
  | { status: 'unknown'; otherTypes: { keyType: string; fingerprint: string; at: string }[] };

/** RSA keys are recorded as "ssh-rsa" whatever signature algorithm (rsa-sha2-*) was negotiated. */
function sameKeyFamily(a: string, b: string): boolean {
  const norm = (t: string) => (t.startsWith('rsa-sha2-') ? 'ssh-rsa' : t);
  return norm(a) === norm(b);
}

export function checkHostKey(
  entries: readonly KnownHostEntry[],
  name: string,
  presented: Buffer,
): HostKeyVerdict {
  const presentedType = keyTypeOfBlob(presented);
  const matching = entries.filter((e) => e.marker !== 'cert-authority' && entryMatches(e, name));
  const revoked = matching.find((e) => e.marker === 'revoked' && e.blob.equals(presented));
  if (revoked) return { status: 'revoked', at: revoked.at };
  const plain = matching.filter((e) => !e.marker);
  const same = plain.find((e) => e.blob.equals(presented));
  if (same) return { status: 'known', at: same.at };
  const sameType = plain.filter((e) => sameKeyFamily(e.keyType, presentedType));
  if (sameType.length)
    return {
      status: 'changed',
      known: sameType.map((e) => ({ fingerprint: sha256Fingerprint(e.blob), at: e.at })),
    };
  return {
    status: 'unknown',
    otherTypes: plain.map((e) => ({ keyType: e.keyType, fingerprint: sha256Fingerprint(e.blob), at: e.at })),
  };
}

/** The key types on record for `name`, so the client can ask the server for a key it can actually check. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], name: string): string[] {
  return [...new Set(entries.filter((e) => !e.marker && entryMatches(e, name)).map((e) => e.keyType))];
}

/** A line for pktpath's own store; hashed like `HashKnownHosts yes` so the file does not list where you go. */
export function knownHostsLine(name: string, blob: Buffer, opts: { hash?: boolean } = {}): string {
  const b64 = blob.toString('base64');
  const type = keyTypeOfBlob(blob);
  if (!opts.hash) return `${name} ${type} ${b64}`;
  const salt = randomBytes(20);
  const hash = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${hash.toString('base64')} ${type} ${b64}`;
}
