import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptFileError } from '../../../main/core/errors.js';
import { HostStore } from '../../../main/core/inventory/host-store.js';
import { importSshConfig } from '../../../main/core/inventory/ssh-config-import.js';
import { pktpathHome } from '../../../main/core/data-dir.js';

const root = mkdtempSync(join(tmpdir(), 'pktpath-inv-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => {
  const d = join(root, `home-${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

describe('data dir', () => {
  it('is $PKTPATH_HOME, else the platform app-data dir', () => {
    expect(pktpathHome({ PKTPATH_HOME: '/x/y' }, 'linux')).toBe('/x/y');
    expect(pktpathHome({ HOME: '/home/u' }, 'linux')).toBe('/home/u/.config/pktpath');
    expect(pktpathHome({ HOME: '/home/u', XDG_CONFIG_HOME: '/cfg' }, 'linux')).toBe('/cfg/pktpath');
    expect(pktpathHome({ HOME: '/Users/u' }, 'darwin')).toBe('/Users/u/Library/Application Support/pktpath');
  });
});

describe('host store', () => {
  it('lists the built-in local host first, even with no inventory file', () => {
    const s = new HostStore(freshDir());
    expect(s.list().map((h) => [h.name, h.kind])).toEqual([['local', 'local']]);
    expect(existsSync(s.file)).toBe(false);
  });

  it('adds, reads back from readable JSON, updates and removes hosts; checks jump references', () => {
    const dir = freshDir();
    const s = new HostStore(dir);
    s.add({
      name: 'bastion',
      address: 'bastion.example',
      user: 'ops',
      auth: { kind: 'key', identityFiles: ['~/.ssh/id_ed25519'] },
      tags: ['dc1'],
    });
    s.add({
      name: 'web1',
      address: '10.0.0.5',
      port: 2222,
      jump: ['bastion'],
      privilege: 'sudo-password',
      notes: 'front',
    });
    const text = readFileSync(s.file, 'utf8');
    expect(text).toContain('\n  "version": 1,');
    expect(JSON.parse(text).hosts[1]).toMatchObject({
      name: 'web1',
      port: 2222,
      jump: ['bastion'],
      auth: { kind: 'agent' },
    });
    expect(new HostStore(dir).get('web1').privilege).toBe('sudo-password');
    expect(() => s.add({ name: 'web1', address: 'x' })).toThrow(/exists already/);
    expect(() => s.add({ name: 'local', address: 'x' })).toThrow(/built-in/);
    expect(() => s.add({ name: 'db', address: 'x', jump: ['nope'] })).toThrow(
      /jump host nope of db is not in the inventory/,
    );
    expect(() => s.add({ name: 'bad name', address: 'x' })).toThrow(/invalid host: name: a host name is/);
    expect(() => s.remove('bastion')).toThrow(/jump host of web1/);
    expect(s.update('web1', { port: 22, tags: ['x'] })).toMatchObject({
      port: 22,
      tags: ['x'],
      jump: ['bastion'],
    });
    s.remove('web1');
    s.remove('bastion');
    expect(s.list().map((h) => h.name)).toEqual(['local']);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('moves a corrupt inventory aside, reports it, and never overwrites it', () => {
    const dir = freshDir();
    const s = new HostStore(dir);
    writeFileSync(s.file, '{"version":1,"hosts":[{"name":"a"'); // truncated JSON
    const err = (() => {
      try {
        s.list();
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CorruptFileError);
    const aside = (err as CorruptFileError).movedTo!;
    expect(readFileSync(aside, 'utf8')).toBe('{"version":1,"hosts":[{"name":"a"');
    expect((err as Error).message).toMatch(
      /hosts\.json is corrupt \(not JSON: .*\); kept aside as .*hosts\.json\.corrupt-/,
    );
    s.add({ name: 'fresh', address: 'x' });
    expect(readFileSync(aside, 'utf8')).toBe('{"version":1,"hosts":[{"name":"a"');
    // Valid JSON with an invalid host is corrupt too, with the field named.
    writeFileSync(s.file, JSON.stringify({ version: 1, hosts: [{ name: 'x', address: 'h', port: 99999 }] }));
    expect(() => s.list()).toThrow(/hosts\[0\]\.port: /);
  });
});

describe('import from ~/.ssh/config', () => {
  const home = freshDir();
  mkdirSync(join(home, '.ssh', 'conf.d'), { recursive: true });
  writeFileSync(
    join(home, '.ssh', 'config'),
    [
      'Include conf.d/*.conf',
      'Host bastion',
      '  HostName bastion.example.com',
      '  User ops',
      '  IdentityFile ~/.ssh/id_bastion',
      '',
      'Host web1 web2',
      '  ProxyJump bastion',
      '',
      'Host db',
      '  HostName 10.0.0.9',
      '  ProxyJump admin@gw.example.com:2200,bastion',
      '',
      'Host legacy',
      '  ProxyCommand nc %h %p',
      '',
      'Match exec "touch ' + join(home, 'EXECUTED') + '"',
      '  User hacked',
      '',
      'Host *.example.com web*',
      '  Port 2022',
      '  User defaultuser',
      '',
      'Host *',
      '  ConnectTimeout 7',
    ].join('\n'),
  );
  writeFileSync(
    join(home, '.ssh', 'conf.d', '10-lab.conf'),
    'Host lab\n  HostName 127.0.0.1\n  Port 2200\n  IdentityFile %d/.ssh/id_lab\n',
  );
  writeFileSync(join(home, '.ssh', 'conf.d', 'ignored.txt'), 'Host notincluded\n');

  it('imports concrete hosts with Include, ~, wildcard blocks and ProxyJump chains; never runs Match exec', () => {
    const r = importSshConfig(undefined, home);
    const by = Object.fromEntries(r.hosts.map((h) => [h.name, h]));
    expect(Object.keys(by).sort()).toEqual([
      'admin@gw.example.com-2200',
      'bastion',
      'db',
      'lab',
      'web1',
      'web2',
    ]);
    expect(by.lab).toMatchObject({
      address: '127.0.0.1',
      port: 2200,
      auth: { kind: 'key', identityFiles: [join(home, '.ssh/id_lab')] },
      connectTimeoutMs: 7000,
    });
    expect(by.bastion).toMatchObject({
      address: 'bastion.example.com',
      user: 'ops',
      port: 22,
      auth: { identityFiles: [join(home, '.ssh/id_bastion')] },
    });
    // Wildcard block `web*` gives web1 its port and user; the alias is also its address.
    expect(by.web1).toMatchObject({
      address: 'web1',
      port: 2022,
      user: 'defaultuser',
      jump: ['bastion'],
      auth: { kind: 'agent' },
    });
    expect(by.db).toMatchObject({ address: '10.0.0.9', jump: ['admin@gw.example.com-2200', 'bastion'] });
    expect(by['admin@gw.example.com-2200']).toMatchObject({
      address: 'gw.example.com',
      port: 2200,
      user: 'admin',
    });
    expect(r.skipped).toEqual([{ name: 'legacy', reason: 'ProxyCommand is not supported (use ProxyJump)' }]);
    expect(existsSync(join(home, 'EXECUTED'))).toBe(false);
    // Jump hosts come before the hosts that use them, so the store accepts them in one pass.
    const order = r.hosts.map((h) => h.name);
    expect(order.indexOf('bastion')).toBeLessThan(order.indexOf('web1'));
    const store = new HostStore(freshDir());
    const added = store.addMany(r.hosts, false);
    expect(added.skipped).toEqual([]);
    expect(store.addMany(r.hosts, false).skipped.map((s) => s.reason)).toEqual(
      Array(6).fill('exists already'),
    );
  });
});
