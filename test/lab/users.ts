import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, exec } from './exec.js';

/** Unprivileged lab accounts, so the product's privilege paths (sudo without and with a password) run for real. */
export interface LabUsers {
  /** sudo without a password (NOPASSWD). */
  sudoNoPassword: { name: string; password: string };
  /** sudo that asks for the user's password. */
  sudoPassword: { name: string; password: string };
}

const SUDOERS = '/etc/sudoers.d/pktpath-lab';

/** Creates (or repairs) the lab users and their sudoers rules; passwords persist in `stateDir` (mode 0600). */
export async function ensureLabUsers(stateDir: string): Promise<LabUsers> {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = join(stateDir, 'users.json');
  const users: LabUsers = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as LabUsers)
    : {
        sudoNoPassword: { name: 'pktpath-nopw', password: randomBytes(12).toString('base64url') },
        sudoPassword: { name: 'pktpath-pw', password: randomBytes(12).toString('base64url') },
      };
  for (const u of [users.sudoNoPassword, users.sudoPassword]) {
    if ((await exec('id', ['-u', u.name])).code !== 0)
      await check('useradd', ['-m', '-s', '/bin/bash', u.name]);
    // A set password also unlocks the account: with UsePAM no, sshd refuses even key logins to locked ('!') accounts.
    await check('chpasswd', [], { input: `${u.name}:${u.password}\n` });
  }
  const rules =
    `# pktpath test lab (test/lab/users.ts)\n` +
    `${users.sudoNoPassword.name} ALL=(ALL:ALL) NOPASSWD: ALL\n` +
    `${users.sudoPassword.name} ALL=(ALL:ALL) ALL\n`;
  writeFileSync(`${SUDOERS}.tmp`, rules, { mode: 0o440 });
  await check('visudo', ['-c', '-q', '-f', `${SUDOERS}.tmp`]);
  await check('mv', [`${SUDOERS}.tmp`, SUDOERS]);
  writeFileSync(file, JSON.stringify(users, null, 2), { mode: 0o600 });
  return users;
}
