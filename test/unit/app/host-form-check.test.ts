import { describe, expect, it } from 'vitest';
import { HostSchema, type Host, type HostInput } from '../../../main/api/hosts.js';
import { hostFormErrors } from '../../../renderer/src/model/host-form-check.js';

const host = (h: HostInput): Host => HostSchema.parse(h);
const INVENTORY = [
  host({ name: 'local', kind: 'local', address: 'localhost' }),
  host({ name: 'bastion', address: '192.0.2.1' }),
  host({ name: 'web-1', address: '10.0.0.5', jump: ['bastion'] }),
];
const form = (over: Partial<HostInput>): HostInput => ({
  name: 'db-1',
  address: '10.0.0.9',
  port: 22,
  auth: { kind: 'key', identityFiles: ['~/.ssh/id_ed25519'] },
  jump: [],
  tags: [],
  privilege: 'sudo',
  notes: '',
  ...over,
});

describe('the host form says what is wrong, field by field, in words', () => {
  it('a good host has no message', () => {
    expect(hostFormErrors(form({ jump: ['bastion'] }), INVENTORY, undefined)).toEqual({});
  });

  it('puts each contract problem under its field, in words instead of "Too small" or "Invalid input"', () => {
    const e = hostFormErrors(
      form({ name: '-x', address: '', port: 0, auth: { kind: 'key', identityFiles: [] } }),
      INVENTORY,
      undefined,
    );
    expect(e.name).toMatch(/^a host name is 1-64 letters/);
    expect(e.address).toBe('the address to reach it: a host name or IP address');
    expect(e.port).toBe('a port is a whole number from 1 to 65535');
    expect(e.identity).toMatch(/^at least one private key file/);
    expect(hostFormErrors(form({ port: Number('x') }), INVENTORY, undefined).port).toBe(
      'a port is a whole number from 1 to 65535',
    );
    expect(hostFormErrors(form({ address: 'a,*' }), INVENTORY, undefined).address).toMatch(
      /no spaces, commas/,
    );
    for (const m of Object.values(e)) expect(m).not.toMatch(/^(Too small|Too big|Invalid|Expected)/);
  });

  it('checks jump hosts against the inventory as you type', () => {
    expect(hostFormErrors(form({ jump: ['bastoin'] }), INVENTORY, undefined).jump).toBe(
      'no host named “bastoin” in the inventory: add it first, then name it here',
    );
    expect(hostFormErrors(form({ jump: ['db-1'] }), INVENTORY, undefined).jump).toBe(
      'a host cannot be its own jump host',
    );
    expect(hostFormErrors(form({ jump: ['local'] }), INVENTORY, undefined).jump).toMatch(/is this machine/);
  });

  it('a new host cannot take a name in use; editing keeps its own', () => {
    expect(hostFormErrors(form({ name: 'web-1' }), INVENTORY, undefined).name).toBe(
      'a host named “web-1” exists already: pick another name, or edit that one',
    );
    expect(hostFormErrors(form({ name: 'web-1' }), INVENTORY, INVENTORY[2])).toEqual({});
  });
});
