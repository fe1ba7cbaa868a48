import { labContext } from '../support/lab-context.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { check, exec } from '../lab/exec.js';

// What root executes is proven by root (issue 8 item 1): a process of the login user that swaps the deployed
// loader, a fake sha256sum first in the login user's PATH, a wrong file in the cache: none may make root run
// anything but the shipped loader. The attacks run as their own unprivileged sudo users, made for this file (one
// with NOPASSWD sudo, one whose sudo asks for the password, like the lab's pktpath-nopw / pktpath-pw), so the
// swapped and planted files never reach another test's runs. Each `pktpath` is the CLI as a process (source
// through tsx) with a private HOME and PKTPATH_HOME.
const { lab, labIt } = labContext();
const itRoot = labIt({
  needs: { root: true, tools: ['useradd', 'userdel', 'runuser', 'visudo', 'chpasswd'] },
});
const scratch = mkdtempSync(join(tmpdir(), 'pktpath-root-exec-'));
const tag = randomBytes(3).toString('hex');
const marker = join(scratch, 'ran-as-root'); // what the planted "loader" writes when root runs it
const sudoers = `/etc/sudoers.d/pktpath-rootexec-${tag}`;
const manifest = JSON.parse(readFileSync('resources/manifest.json', 'utf8')) as {
  artifacts: Record<string, { arch: string; sha256: string }>;
};
const loaderSha = manifest.artifacts['x86_64/pktpath-loader']!.sha256;

interface TestUser {
  name: string;
  password: string;
  privilege: 'sudo' | 'sudo-password';
  uid: number;
  gid: number;
  /** Where the CLI deploys the loader for this user. */
  cached: string;
}
const users: TestUser[] = [];

/** An unprivileged login user with sudo, reachable over the lab sshd with the lab key. */
async function makeUser(privilege: TestUser['privilege']): Promise<TestUser> {
  const name = `pktrx-${privilege === 'sudo' ? 'nopw' : 'pw'}-${tag}`;
  const password = randomBytes(12).toString('base64url');
  await check('useradd', ['-m', '-s', '/bin/bash', name]);
  await check('chpasswd', [], { input: `${name}:${password}\n` });
  writeFileSync(join(lab().runtimeDir, 'authorized_keys', name), readFileSync(lab().publicKey, 'utf8'), {
    mode: 0o644,
  });
  const [uid, gid] = [Number(await check('id', ['-u', name])), Number(await check('id', ['-g', name]))];
  const u = {
    name,
    password,
    privilege,
    uid,
    gid,
    cached: `/home/${name}/.cache/pktpath/${loaderSha}/pktpath-loader`,
  };
  users.push(u);
  return u;
}

const cacheDir = (u: TestUser) => u.cached.replace(/\/[^/]+$/, '');

/** Runs `script` as the test user (the attacker's side: same uid as the SSH login, no privilege). */
const asUser = (u: TestUser, script: string) =>
  check('runuser', ['-u', u.name, '--', '/bin/sh', '-c', script]);

/** A "loader" that proves it ran as root by writing its uid into the marker file. */
const evilScript = `#!/bin/sh\nid -u > ${marker}\nexit 1\n`;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function pktpath(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const env = {
    ...process.env,
    HOME: join(scratch, 'user-home'),
    PKTPATH_HOME: join(scratch, 'pktpath-home'),
    SSH_AUTH_SOCK: '',
    ...opts.env,
  };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli/main.ts', ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** `pktpath probe --refresh` (never the cached facts: the loader really runs) as the user's inventory host; the password is piped for the user whose sudo asks for it. */
const probe = (u: TestUser) =>
  pktpath(['probe', u.name, '--refresh', '--json', '--accept-new-host-key'], { input: `${u.password}\n` });

/** A one-second `pktpath trace` on the same host: the loader's other privileged run. */
const trace = (u: TestUser) =>
  pktpath(
    [
      ...['trace', u.name, '--filter', 'icmp and host 192.0.2.77', '--duration', '1', '--json'],
      '--accept-new-host-key',
    ],
    { input: `${u.password}\n` },
  );

const probedOk = (r: CliResult) =>
  r.code === 0 &&
  (JSON.parse(r.stdout) as { kernel: { release: string } }).kernel.release ===
    lab().hosts.local!.kernelRelease;

/** A run the swapper spoiled must say so clearly: root refused its copy. */
const refusedByRoot =
  /^pktpath: pktrx-[\w-]+@127\.0\.0\.1:\d+: pktpath-root-exec: .*(refusing to run it|not a regular file)/m;

/** Root's private copies live only while the loader starts: nothing of ours may be left in the temp dirs. */
const leftovers = () =>
  ['/run', '/tmp', '/var/tmp'].flatMap((d) =>
    readdirSync(d)
      .filter((f) => /^pktpath\.[A-Za-z0-9]{8}$/.test(f))
      .map((f) => join(d, f)),
  );

afterAll(async () => {
  for (const u of users) {
    await exec('userdel', ['-r', '-f', u.name]);
    rmSync(join(lab().runtimeDir, 'authorized_keys', u.name), { force: true });
  }
  rmSync(sudoers, { force: true });
  rmSync(scratch, { recursive: true, force: true });
});

describe('root runs only what root has verified (lab sshd, unprivileged sudo users)', () => {
  let nopw: TestUser;
  let pw: TestUser;
  const setup = async () => {
    rmSync(marker, { force: true });
    if (nopw) return;
    nopw = await makeUser('sudo');
    pw = await makeUser('sudo-password');
    const rules = `${nopw.name} ALL=(ALL:ALL) NOPASSWD: ALL\n${pw.name} ALL=(ALL:ALL) ALL\n`;
    writeFileSync(`${scratch}/sudoers`, rules, { mode: 0o440 });
    await check('visudo', ['-c', '-q', '-f', `${scratch}/sudoers`]);
    await check('install', ['-m', '0440', `${scratch}/sudoers`, sudoers]);
    chmodSync(scratch, 0o755); // the planted script writes the marker here as root; users read the evil script
    writeFileSync(join(scratch, 'evil'), evilScript, { mode: 0o755 });
    const h = lab().hosts.local!;
    for (const u of [nopw, pw]) {
      const add = await pktpath([
        ...['hosts', 'add', u.name, '--address', h.address, '--port', String(h.port)],
        ...['--user', u.name, '--identity', lab().privateKey, '--privilege', u.privilege],
      ]);
      expect(add.code, add.stderr).toBe(0);
    }
  };

  itRoot(
    'a concurrent swapper of the deployed loader never gets root: each run is the real loader or refused',
    async () => {
      await setup();
      const swappers: ChildProcess[] = [];
      try {
        for (const u of [nopw, pw]) {
          // As the login user: keep renaming a copy of the evil script over the deployed loader.
          const dir = cacheDir(u);
          const loop =
            `mkdir -p ${dir}; while :; do cp ${scratch}/evil ${dir}/.swap 2>/dev/null && ` +
            `mv -f ${dir}/.swap ${u.cached} 2>/dev/null; sleep 0.02; done`;
          swappers.push(spawn('/bin/sh', ['-c', loop], { uid: u.uid, gid: u.gid, stdio: 'ignore' }));
        }
        let refused = 0;
        for (let i = 0; i < 3; i++)
          for (const u of [nopw, pw]) {
            const r = i === 1 ? await trace(u) : await probe(u);
            expect(existsSync(marker), `root ran the swapped file (run ${i} as ${u.name})`).toBe(false);
            if (!(i === 1 ? r.code === 0 && 'packets' in JSON.parse(r.stdout) : probedOk(r))) {
              expect(r.stderr).toMatch(refusedByRoot);
              refused++;
            }
          }
        expect(refused).toBeGreaterThan(0); // the swapper really did get its file in place
      } finally {
        for (const s of swappers) s.kill('SIGKILL');
        await new Promise((r) => setTimeout(r, 500)); // a cp/mv the killed loop had started finishes
      }
      // Once the swapping stops, the next run replaces the spoiled copy and runs the real loader.
      for (const u of [nopw, pw]) expect(probedOk(await probe(u))).toBe(true);
      const traced = await trace(pw);
      expect(traced.code, traced.stderr).toBe(0);
      expect(existsSync(marker)).toBe(false);
      expect(leftovers()).toEqual([]);
    },
  );

  itRoot('a fake sha256sum first in the login PATH does not make a planted file run as root', async () => {
    await setup();
    // The login user's bash reads ~/.bashrc for SSH commands: put a sha256sum there that "verifies" anything.
    await asUser(
      nopw,
      `mkdir -p ~/bin && printf '#!/bin/sh\\ncat >/dev/null\\necho "${loaderSha}  -"\\n' > ~/bin/sha256sum && ` +
        `chmod 755 ~/bin/sha256sum && { echo 'PATH=$HOME/bin:$PATH'; cat ~/.bashrc; } > ~/.bashrc.new && ` +
        `mv ~/.bashrc.new ~/.bashrc && mkdir -p ${cacheDir(nopw)} && cp ${scratch}/evil ${nopw.cached}`,
    );
    try {
      const r = await probe(nopw);
      expect(existsSync(marker), 'root ran the planted file').toBe(false);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(refusedByRoot);
      expect(r.stderr).toMatch(/hashes to [0-9a-f]{64} as root, expected [0-9a-f]{64}; refusing to run it/);
    } finally {
      await asUser(nopw, `sed -i '1d' ~/.bashrc && rm -f ~/bin/sha256sum`);
    }
  });

  itRoot('a wrong file in the cache is replaced before root runs the loader, never run itself', async () => {
    await setup();
    await asUser(pw, `mkdir -p ${cacheDir(pw)} && cp ${scratch}/evil ${pw.cached}`);
    expect(probedOk(await probe(pw))).toBe(true);
    expect(existsSync(marker)).toBe(false);
    expect((await check('sha256sum', [pw.cached])).split(' ')[0]).toBe(loaderSha);
  });
});

describe('remote command timeouts', () => {
  it('a host command that outlives its limit is the typed `timeout` error, not `internal`', async () => {
    // The built-in local host runs `id; uname` through this process's PATH: a uname that hangs.
    const bin = join(scratch, 'slow-bin');
    await check('mkdir', ['-p', bin]);
    writeFileSync(join(bin, 'uname'), '#!/bin/sh\nexec sleep 18\n', { mode: 0o755 });
    const r = await pktpath(['hosts', 'test', 'local', '--json'], {
      env: { PATH: `${bin}:${process.env.PATH ?? ''}` },
    });
    const doc = JSON.parse(r.stdout) as { ok: boolean; error?: { code: string; message: string } };
    expect(doc).toMatchObject({ ok: false, error: { code: 'timeout' } });
    expect(doc.error!.message).toMatch(/did not finish within 15000 ms/);
  }, 30_000);
});
