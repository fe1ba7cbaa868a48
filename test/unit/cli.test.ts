import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../main/cli/run.js';

let home: string;
beforeEach(() => void (home = mkdtempSync(join(tmpdir(), 'pktpath-cli-'))));
afterEach(() => rmSync(home, { recursive: true, force: true }));

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    env: { PKTPATH_HOME: home },
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('pktpath CLI', () => {
  it('prints the package version', async () => {
    const pkg = JSON.parse(execFileSync('npm', ['pkg', 'get', 'version'], { encoding: 'utf8' })) as string;
    expect(await run(['--version'])).toEqual({ code: 0, out: `pktpath ${pkg}`, err: '' });
  });

  it('prints usage listing every command', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['hosts', 'probe', 'trace', 'sessions', 'compare', 'serve'])
      expect(r.out).toMatch(new RegExp(`^  ${cmd} `, 'm'));
  });

  it('refuses an unknown command with one line on stderr and exit 2', async () => {
    const r = await run(['frobnicate']);
    expect(r).toEqual({ code: 2, out: '', err: "pktpath: unknown command 'frobnicate' (try --help)" });
  });

  it('adds, lists (text and --json) and removes hosts under PKTPATH_HOME', async () => {
    const add = await run([
      'hosts',
      'add',
      'web1',
      '--address',
      '10.0.0.5',
      '--user',
      'ops',
      '--port',
      '2222',
      '--identity',
      '~/.ssh/id_ed25519',
      '--tag',
      'lab',
      '--tag',
      'x',
    ]);
    expect(add).toMatchObject({ code: 0, out: 'added web1 (ops@10.0.0.5:2222)' });
    const stored = JSON.parse(readFileSync(join(home, 'hosts.json'), 'utf8')) as { hosts: unknown[] };
    expect(stored.hosts).toEqual([
      expect.objectContaining({
        name: 'web1',
        auth: { kind: 'key', identityFiles: ['~/.ssh/id_ed25519'] },
        tags: ['lab', 'x'],
      }),
    ]);
    const list = await run(['hosts', 'list', '--json']);
    expect((JSON.parse(list.out) as { name: string }[]).map((h) => h.name)).toEqual(['local', 'web1']);
    expect((await run(['hosts', 'list'])).out).toMatch(/^web1 +ops@10\.0\.0\.5:2222 +sudo {2}tags lab,x$/m);
    expect(await run(['hosts', 'rm', 'web1'])).toEqual({ code: 0, out: '', err: '' });
    expect(await run(['hosts', 'rm', 'web1'])).toEqual({
      code: 1,
      out: '',
      err: 'pktpath: no host named web1',
    });
  });

  it('gives one clear line and exit 2 for bad usage', async () => {
    expect(await run(['hosts', 'add', 'x'])).toMatchObject({
      code: 2,
      err: 'pktpath: hosts add: --address HOST is required',
    });
    expect(await run(['hosts', 'add', 'x', '--address', 'h', '--port', 'ssh'])).toMatchObject({
      code: 2,
      err: 'pktpath: hosts add: --port takes a whole number ≥ 1, not "ssh"',
    });
    const r = await run(['hosts', 'add', 'bad name', '--address', 'h']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^pktpath: invalid hosts\.add request: name: a host name is/);
    expect(await run(['trace', 'local', '--mode', 'magic'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^pktpath: trace: --mode is one of auto, /),
    });
    expect(await run(['compare', 'a:b:c:d', 'x'])).toMatchObject({
      code: 2,
      err: 'pktpath: compare: "a:b:c:d" is not SESSION[:RUN[:PACKET]]',
    });
  });

  it('refuses a malformed probe list with file:line:column before connecting anywhere', async () => {
    const file = join(home, 'probes.txt');
    writeFileSync(file, 'ip_rcv\n# fine\nip_output arg=7\n');
    const r = await run(['trace', 'local', '--probes', file]);
    expect(r).toEqual({
      code: 1,
      out: '',
      err: `pktpath: ${file}:3:15: arg= takes the skb argument position 1-5, not "7"`,
    });
    expect((await run(['trace', 'local', '--probes', join(home, 'nope.txt')])).err).toBe(
      `pktpath: trace: cannot read ${join(home, 'nope.txt')}: ENOENT`,
    );
  });

  it('reports a corrupt inventory and keeps it aside', async () => {
    writeFileSync(join(home, 'hosts.json'), '{"version":1,"hosts":[{"name":"a b"}]}');
    const r = await run(['hosts', 'list']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^pktpath: .*hosts\.json is corrupt \(invalid content: hosts\[0\]\.name: .*\); kept aside as .*hosts\.json\.corrupt-/,
    );
    expect(r.err.split('\n')).toHaveLength(1);
  });

  it('reports a corrupt session file and an unknown session', async () => {
    expect(await run(['sessions', 'show', 'nope'])).toEqual({
      code: 1,
      out: '',
      err: 'pktpath: no session nope (pktpath sessions list)',
    });
    const bad = join(home, 'bad.json');
    writeFileSync(bad, '{"format":"pktpath-session","version":1,"id":"x"}');
    const r = await run(['sessions', 'import', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^pktpath: cannot import .*bad\.json: .*title/);
  });

  it('works through the installed bin entry', () => {
    const r = spawnSync(process.execPath, ['bin/pktpath.mjs', '-V'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^pktpath \d+\.\d+\.\d+\n$/);
  });
});
