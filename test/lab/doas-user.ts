import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, exec } from './exec.js';
import type { LabState } from './lab.js';

/** A lab account that becomes root by doas (`permit nopass`), for the privilege path sudo-less hosts use. */
export const DOAS_USER = 'pktpath-doas';
const DOAS_CONF = '/etc/doas.conf';

/**
 * Creates (or repairs) the doas user on this machine, lets the lab key log in as it (the lab sshd reads
 * `<runtimeDir>/authorized_keys/<user>`) and adds its one rule to /etc/doas.conf (kept if already there).
 * Needs root and opendoas (scripts/lab/debian-packages.txt).
 */
export async function ensureDoasUser(lab: LabState): Promise<string> {
  if ((await exec('id', ['-u', DOAS_USER])).code !== 0)
    await check('useradd', ['-m', '-s', '/bin/bash', DOAS_USER]);
  // a set password unlocks the account: with UsePAM no, sshd refuses even key logins to locked ones
  await check('chpasswd', [], { input: `${DOAS_USER}:${randomBytes(12).toString('base64url')}\n` });
  writeFileSync(join(lab.runtimeDir, 'authorized_keys', DOAS_USER), readFileSync(lab.publicKey, 'utf8'), {
    mode: 0o644,
  });
  const rule = `permit nopass ${DOAS_USER} as root`;
  let conf = '';
  try {
    conf = readFileSync(DOAS_CONF, 'utf8');
  } catch {
    // no doas.conf yet
  }
  if (!conf.split('\n').includes(rule)) writeFileSync(DOAS_CONF, `${conf}${rule}\n`, { mode: 0o600 });
  await check('doas', ['-C', DOAS_CONF]);
  return DOAS_USER;
}
