import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import type { ContextDiff } from '../../main/api/compare.js';
import type { HostContext } from '../../main/api/explain.js';
import { CONTEXT_SCRIPT } from '../../main/core/context/capture-script.js';
import { counterDeltas } from '../../main/api/counter-deltas.js';
import { privilegedCommand } from '../../main/core/ssh/privileged.js';
import { ensureDoasUser } from '../lab/doas-user.js';
import { check, localShell, sh, type Shell } from '../lab/exec.js';
import type { LabHostName } from '../lab/lab.js';
import { createPair, destroy, ping, type Topology } from '../lab/netns.js';
import { sshShell } from '../lab/ssh-client.js';
import { labContext } from '../support/lab-context.js';

// Host context end to end (issue 9): the built CLI (`npm run build` first) traces with the capture on, through
// root, a sudo user and a doas user on this kernel and as root on vm612; hops carry the names `ip netns` and
// processes give their namespaces; counters move; and the script, run under strace, executes only reading commands.
const { lab, labIt } = labContext();
const itLocal = labIt({ needs: { root: true, tools: ['ip', 'ping', 'unshare', 'nsenter', 'strace'] } });
const itUsers = labIt({ needs: { root: true, tools: ['ip', 'ping', 'doas'] } });
const itVm = labIt({ hosts: ['vm612'] });
const scratch = mkdtempSync(join(tmpdir(), 'pktpath-context-e2e-'));
const home = join(scratch, 'pktpath-home');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function pktpath(args: string[], onStderr?: (all: string) => void, timeoutMs = 150_000): Promise<Result> {
  const env = { ...process.env, HOME: join(scratch, 'user-home'), PKTPATH_HOME: home, SSH_AUTH_SOCK: '' };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/pktpath.mjs', ...args], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => onStderr?.((stderr += d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end();
  });
}
const ok = (r: Result) => {
  if (r.code !== 0) throw new Error(`pktpath exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r;
};

function addHost(name: string, lh: LabHostName, user = 'root', privilege = 'root') {
  const h = lab().hosts[lh]!;
  return pktpath(
    ['hosts', 'add', name, '--address', h.address, '--port', String(h.port), '--user', user].concat([
      '--identity',
      lab().privateKey,
      '--privilege',
      privilege,
    ]),
  );
}

const vmShell = (lh: LabHostName): Shell =>
  sshShell(
    {
      host: '127.0.0.1',
      port: lab().hosts[lh]!.port,
      user: 'root',
      privateKey: lab().privateKey,
      hostKeyPub: lab().hosts[lh]!.hostKeyPub,
    },
    scratch,
  );

interface Hop {
  function: string;
  ifindex: number;
  netns: number;
  ifname?: string;
  netns_name?: string;
}
interface TraceDoc {
  run_id: string;
  session?: string;
  packets: { id: number; hops: Hop[] }[];
}

/** Traces `filter` on `host` (saved as `session`) while `traffic` runs once the probes are attached. */
async function traceWhile(
  host: string,
  filter: string,
  session: string,
  traffic: () => Promise<unknown>,
  limits: { count: number; durationS: number } = { count: 4, durationS: 60 },
) {
  let attached = false;
  const tracing = pktpath(
    [
      'trace',
      host,
      '--filter',
      filter,
      '--count',
      String(limits.count),
      '--duration',
      String(limits.durationS),
      '--json',
      '--save',
      session,
    ]
      // the lab's host keys are not in this fresh PKTPATH_HOME
      .concat(['--accept-new-host-key']),
    (e) => (attached ||= /^tracing on /m.test(e)),
  );
  let done = false;
  void tracing.then(() => (done = true));
  while (!done && !attached) await new Promise((r) => setTimeout(r, 100));
  for (let i = 0; i < 200 && !done; i++) await traffic();
  const r = ok(await tracing);
  const doc = JSON.parse(r.stdout) as TraceDoc;
  const ctx = JSON.parse(ok(await pktpath(['sessions', 'context', session, '--json'])).stdout) as {
    context: HostContext | null;
  };
  return { doc, context: ctx.context, stderr: r.stderr };
}

/** A ping across a fresh `ip netns` pair traced on `host`: every hop named as the pair's namespaces and veths. */
async function pairTrace(
  host: string,
  shell: Shell,
  session: string,
  limits?: { count: number; durationS: number },
) {
  const topo = await createPair(shell);
  try {
    const t = await traceWhile(
      host,
      `icmp and host ${topo.serverAddr}`,
      session,
      () => ping(topo, 1, 0.2),
      limits,
    );
    return { ...t, topo };
  } finally {
    await destroy(topo);
  }
}

function expectPairNamed(doc: TraceDoc, topo: Topology): void {
  const hops = doc.packets.flatMap((p) => p.hops);
  expect(hops.length).toBeGreaterThan(0);
  const names = new Set(hops.map((h) => h.netns_name));
  expect([...names].every((n) => n === topo.client || n === topo.server)).toBe(true);
  expect(names).toContain(topo.server);
  for (const h of hops.filter((x) => x.ifindex > 0))
    expect(h.ifname).toBe(h.netns_name === topo.client ? topo.clientIf : topo.serverIf);
  expect(typeof hops[0]!.netns).toBe('number'); // numbers stay
}

describe('host context through the built CLI', () => {
  itLocal(
    'local as root: ip netns names on hops, CLI text says veth@netns, counters move, context saved',
    async () => {
      // the start capture runs beside the attach, so on a loaded machine the first pings may precede its read of
      // the server's counters: ping for 14 s, longer than its 10 s bound, so the last pings surely follow it
      const { doc, context, topo } = await pairTrace('local', localShell, 'ctx-local', {
        count: 1000,
        durationS: 14,
      });
      expectPairNamed(doc, topo);
      expect(context?.start?.namespaces[0]?.name).toBe('init');
      expect(context?.start?.error).toBeUndefined();
      const server = context?.start?.namespaces.find((n) => n.name === topo.server);
      expect(server?.links.find((l) => l.ifname === topo.serverIf)?.addresses).toContain(
        `${topo.serverAddr}/24`,
      );
      // the end capture: init and the namespaces the packets touched, and the ping moved the server's counters
      expect(context?.end?.namespaces.map((n) => n.name).sort()).toEqual(
        [
          'init',
          topo.server,
          ...(doc.packets.some((p) => p.hops.some((h) => h.netns_name === topo.client)) ? [topo.client] : []),
        ].sort(),
      );
      const moved = counterDeltas(context ?? undefined).find((d) => d.name === topo.server)?.deltas ?? {};
      expect(moved.IcmpInEchos).toBeGreaterThanOrEqual(1);
      expect(moved.IcmpOutEchoReps).toBeGreaterThanOrEqual(1);

      const text = ok(await pktpath(['sessions', 'show', 'ctx-local'])).stdout;
      expect(text).toContain(`${topo.serverIf}@${topo.server}`);
      const shown = ok(await pktpath(['sessions', 'context', 'ctx-local'])).stdout;
      expect(shown).toMatch(new RegExp(`counters moved in netns ${topo.server}: .*IcmpInEchos \\+\\d`));
    },
  );

  itLocal('a namespace only a process holds is named `pid (comm)` on hops', async () => {
    const addr = `10.77.${randomInt(1, 250)}.${randomInt(2, 250)}`;
    const holder: ChildProcess = spawn('unshare', ['--net', 'sleep', '120'], { stdio: 'ignore' });
    try {
      const pid = holder.pid!;
      await new Promise((r) => setTimeout(r, 300));
      await check('nsenter', [`--net=/proc/${pid}/ns/net`, 'ip', 'link', 'set', 'lo', 'up']);
      await check('nsenter', [`--net=/proc/${pid}/ns/net`, 'ip', 'addr', 'add', `${addr}/32`, 'dev', 'lo']);
      const { doc } = await traceWhile('local', `icmp and host ${addr}`, 'ctx-proc', () =>
        check('nsenter', [`--net=/proc/${pid}/ns/net`, 'ping', '-c', '1', '-W', '1', addr]),
      );
      const inode = Number((await check('stat', ['-L', '-c', '%i', `/proc/${pid}/ns/net`])).trim());
      const hops = doc.packets.flatMap((p) => p.hops).filter((h) => h.netns === inode);
      expect(hops.length).toBeGreaterThan(0);
      for (const h of hops) expect(h.netns_name).toBe(`${pid} (sleep)`);
      expect(hops.filter((h) => h.ifindex === 1).every((h) => h.ifname === 'lo')).toBe(true);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  itLocal(
    'compare shows the sysctl that differs between a good and a bad run next to the divergence',
    async () => {
      const topo = await createPair(localShell);
      try {
        const trace = (session: string) =>
          traceWhile('local', `icmp and host ${topo.serverAddr}`, session, () =>
            ping(topo, 1, 0.2).catch(() => undefined),
          );
        await trace('ctx-good');
        await sh(localShell, `ip netns exec ${topo.server} sysctl -qw net.ipv4.icmp_echo_ignore_all=1`);
        await trace('ctx-bad');
        const r = ok(await pktpath(['compare', 'ctx-good', 'ctx-bad']));
        const lines = r.stdout.split('\n');
        const at = lines.findIndex((l) => l.startsWith('first divergence') || l === 'identical paths');
        // the sysctl first; the ping client's own raw socket may show as a listener that comes and goes
        expect(lines[at + 1]).toMatch(/^host context differs \(A → B\), \d+ changes:$/);
        expect(lines[at + 2]).toBe(`  netns ${topo.server}: sysctl net.ipv4.icmp_echo_ignore_all: 0 → 1`);
        const api = JSON.parse(ok(await pktpath(['compare', 'ctx-good', 'ctx-bad', '--json'])).stdout) as {
          context_diff: ContextDiff;
        };
        expect(api.context_diff.available).toBe(true);
        expect(api.context_diff.changes.filter((c) => c.kind !== 'listener')).toEqual([
          { netns: topo.server, kind: 'sysctl', key: 'net.ipv4.icmp_echo_ignore_all', a: '0', b: '1' },
        ]);
      } finally {
        await destroy(topo);
      }
    },
  );

  itUsers('through a sudo user and a doas user, as the loader runs', async () => {
    const nopw = lab().users.sudoNoPassword.name;
    const doas = await ensureDoasUser(lab());
    ok(await addHost('ctx-sudo', 'local', nopw, 'sudo'));
    ok(await addHost('ctx-doas', 'local', doas, 'doas'));
    for (const host of ['ctx-sudo', 'ctx-doas']) {
      const { doc, context, topo } = await pairTrace(host, localShell, `ctx-${host}`);
      expectPairNamed(doc, topo);
      expect(context?.start?.error).toBeUndefined();
      expect(context?.start?.namespaces.map((n) => n.name)).toEqual(
        expect.arrayContaining(['init', topo.client, topo.server]),
      );
      // root read the ruleset and the listeners' processes (ss -p shows sshd only to root)
      const init = context?.start?.namespaces.find((n) => n.name === 'init');
      expect(init?.listeners.some((l) => l.includes('"sshd"'))).toBe(true);
    }
  });

  itVm(
    'vm612 (busybox userland): the capture runs, names hops and reads the nft ruleset of the netns',
    async () => {
      ok(await addHost('ctx-vm612', 'vm612'));
      const shell = vmShell('vm612');
      const topo = await createPair(shell);
      try {
        await sh(
          shell,
          `ip netns exec ${topo.server} nft add table inet ctx; ip netns exec ${topo.server} nft add chain inet ctx c '{ type filter hook input priority 0; }'; ip netns exec ${topo.server} nft add rule inet ctx c meta l4proto icmp counter`,
        );
        const { doc, context } = await traceWhile(
          'ctx-vm612',
          `icmp and host ${topo.serverAddr}`,
          'ctx-vm612',
          () => ping(topo, 1, 0.2),
        );
        expectPairNamed(doc, topo);
        const server = [...(context?.end?.namespaces ?? []), ...(context?.start?.namespaces ?? [])].find(
          (n) => n.name === topo.server,
        );
        expect(server?.nftables).toMatch(
          // busybox userland: no /etc/protocols, so nft prints the protocol's number
          /table inet ctx \{ # handle \d+[\s\S]*meta l4proto (icmp|1) counter packets \d+ bytes \d+ # handle \d+/,
        );
        expect(server?.listeners).toEqual([]);
      } finally {
        await destroy(topo);
      }
    },
    300_000,
  );

  itLocal(
    'the script executes only reading commands (every execve of a real run, under strace)',
    async () => {
      const log = join(scratch, `strace-${randomBytes(3).toString('hex')}.log`);
      const cmd = privilegedCommand('root', CONTEXT_SCRIPT, ['t0k', 'TOK', '10', '64'], 'unused');
      await check(
        'strace',
        [
          '-f',
          '-qq',
          '-e',
          'trace=execve',
          '-e',
          'signal=none',
          '-s',
          '300',
          '-o',
          log,
          '/bin/sh',
          '-c',
          cmd,
        ],
        { timeoutMs: 60_000 },
      );
      const execs = readFileSync(log, 'utf8')
        .split('\n')
        .map((l) => /execve\("([^"]+)", \[(.*)\], 0x[0-9a-f]+ /.exec(l))
        .filter((m): m is RegExpExecArray => !!m)
        .map((m) => ({ path: m[1]!, argv: [...m[2]!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((a) => a[1]!) }));
      expect(execs.length).toBeGreaterThan(20);
      const base = (p: string) => p.split('/').pop()!;
      const reading: Record<string, (a: string[]) => boolean> = {
        sh: (a) => a[1] === '-c',
        id: (a) => a.join(' ') === 'id -u',
        date: (a) => a.join(' ') === 'date +%s',
        uname: (a) => a.join(' ') === 'uname -r',
        stat: (a) => a[1] === '-L' && a[2] === '-c',
        awk: (a) => a.length === 2,
        head: (a) => a[1] === '-c' && a.length === 3,
        cat: (a) => a.slice(1).every((f) => f.startsWith('/proc/net/')),
        grep: (a) =>
          a[1] === '-qs' || (a[1] === '-s' && a.slice(4).every((f) => f.startsWith('/proc/sys/net/'))),
        timeout: (a) => /^\d+$/.test(a[1] ?? ''),
        nsenter: (a) =>
          /^--net=\/(proc\/\d+\/ns\/net|run\/netns\/[^/]+)$/.test(a[1] ?? '') && a[2] === '/bin/sh',
        ip: (a) => a.at(-1) === 'show' || a.slice(-3).join(' ') === 'show table all',
        nft: (a) => a.slice(1).join(' ') === '-a list ruleset',
        'iptables-save': (a) => a.length === 1 || a[1] === '-V',
        'ip6tables-save': (a) => a.length === 1 || a[1] === '-V',
        ss: (a) => a.slice(1).join(' ') === '-H -lntupw',
        tc: (a) =>
          a.slice(1).join(' ') === '-s qdisc show' ||
          (a.length === 7 &&
            a.slice(1, 5).join(' ') === '-s filter show dev' &&
            /^(ingress|egress)$/.test(a[6]!)),
      };
      const refused = execs.filter((e) => !reading[base(e.path)]?.(e.argv));
      expect(refused).toEqual([]);
      // each reading tool really ran (the list is not vacuous)
      const ran = new Set(execs.map((e) => base(e.path)));
      for (const t of ['ip', 'nsenter', 'cat', 'grep', 'ss', 'tc']) expect(ran).toContain(t);
    },
  );
});
