import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HostContextSnapshotSchema } from '../../../main/api/explain.js';
import {
  CONTEXT_SCRIPT,
  NETNS_SCRIPT,
  SECTION_CAP,
  TOTAL_CAP,
} from '../../../main/core/context/capture-script.js';
import { parseContextOutput } from '../../../main/core/context/parse-context.js';

// What the capture script printed on the lab's real kernels (fixtures/context/, made by running CONTEXT_SCRIPT
// there with the marker token TOK): this machine (6.18, other engineers' netns pairs), vm612 (busybox userland,
// no ss, a netns `ctxweb` with an nft drop rule).
const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures/context', name), 'utf8');
const local = fixture('local-6.18.txt');
const vm612 = fixture('vm612-6.12.txt');
const AT = '2026-11-30T10:40:00.000Z';

/**
 * Every command a script runs: quoted text dropped, `${…}` and `$((…))` folded, `$(…)` taken apart, case patterns,
 * keywords and assignments skipped; `timeout N CMD` counts both.
 */
function commandsOf(script: string): string[] {
  let code = script
    .replace(/^\s*#.*$/gm, '')
    .replace(/'[^']*'/g, "''")
    .replace(/\$\{[^}]*\}/g, 'X');
  const parts: string[] = [];
  for (let prev = ''; prev !== code;)
    [prev, code] = [code, code.replace(/\$\(([^()]*)\)/g, (_, inner: string) => (parts.push(inner), 'X'))];
  const words = [code, ...parts].flatMap((c) =>
    c
      .replace(/\$\(\([^()]*\)\)/g, 'X')
      .replace(/"[^"]*"/g, (q) => (/^"\$\w+"$/.test(q) ? q.slice(1, -1) : 'X'))
      .replace(/\w+\(\) *\{/g, ';')
      .replace(/\bcase\b[^\n]*?\bin\b/g, ';')
      .replace(/(^|;|\n)\s*[^\s;()]+\)/g, '$1;')
      .replace(/;;|\besac\b/g, ';')
      .split(/;|\|\||&&|\||\n|\{|\}/)
      .map((seg) => seg.trim().split(/\s+/))
      .flatMap((w) => {
        const i = w.findIndex(
          (x) =>
            x &&
            !/^(if|then|else|elif|fi|do|done|while|!)$/.test(x) &&
            !/^\w+=/.test(x) &&
            !/^\d*[<>]/.test(x),
        );
        if (i < 0 || w[i] === 'for') return [];
        return w[i] === 'timeout' ? ['timeout', w[i + 2] ?? ''] : [w[i]!];
      })
      .filter((w) => !!w && w !== "''"),
  );
  return [...new Set(words)].sort();
}

describe('the host-context capture is read-only', () => {
  it('runs only reading commands (the lists are exact: a new command must be added here on purpose)', () => {
    // shell builtins and functions of the script, then tools that only read
    expect(commandsOf(CONTEXT_SCRIPT)).toEqual(
      ['[', 'awk', 'break', 'command', 'continue', 'date', 'echo', 'grep', 'have', 'head', 'list', 'nsenter']
        .concat(['printf', 'read', 'shift', 'stat', 'timeout', 'uname', '$ipt', '$ip6t'])
        .sort(),
    );
    // $ip, $nft, $ipt, $ip6t, $ls, $tc: tool paths the outer script found with `command -v` (next test)
    expect(commandsOf(NETNS_SCRIPT)).toEqual(
      [
        '$ip',
        '$ip6t',
        '$ipt',
        '$ls',
        '$nft',
        '$tc',
        'continue',
        'printf',
        'read',
        '[',
        'big',
        'cap',
        'cat',
        'echo',
        'grep',
        'head',
        'sec',
        'timeout',
      ].sort(),
    );
  });

  it('each tool variable is one named tool, and each runs with reading arguments only', () => {
    const found = [...CONTEXT_SCRIPT.matchAll(/\b(\w+)=\$\(command -v ([\w-]+)\)/g)].map(
      (m) => `${m[1]}=${m[2]}`,
    );
    expect(found.sort()).toEqual(
      ['ip=ip', 'ip6t=ip6tables-save', 'ipt=iptables-save', 'nft=nft', 'ss=netstat', 'ss=ss', 'tc=tc'].sort(),
    );
    // the outer's $ss is the inner's $ls (6th argument)
    expect(CONTEXT_SCRIPT).toMatch(/pktpath-ns "\$k" "\$ip" "\$nft" "\$ipt" "\$ip6t" "\$ss" "\$tc"/);
    const calls = [...NETNS_SCRIPT.matchAll(/timeout 5 "\$(ip|nft|ipt|ip6t|ls|tc)"([^|\n]*)/g)].map((m) =>
      `${m[1]}${m[2]}`.trim(),
    );
    expect(calls).toEqual([
      'ip -j -d addr show 2>&1',
      'ip -4 route show table all 2>&1',
      'ip -6 route show table all 2>&1',
      'ip -4 rule show 2>&1',
      'ip -6 rule show 2>&1',
      'ip neigh show 2>&1',
      'nft -a list ruleset 2>&1',
      'ipt 2>&1',
      'ip6t 2>&1',
      'ls -H -lntupw 2>&1',
      'ls -lntuw 2>&1',
      'tc -s qdisc show 2>&1)',
      'tc -s filter show dev "$d" "$dir" 2>&1',
    ]);
    // outside them, `$ipt -V` / `$ip6t -V` only print the version
    expect([...CONTEXT_SCRIPT.matchAll(/\$\("\$(ipt|ip6t)"([^)]*)\)/g)].map((m) => m[2]!.trim())).toEqual([
      '-V 2>/dev/null',
      '-V 2>/dev/null',
    ]);
  });

  it('redirects output only to /dev/null or &2 and never edits a file', () => {
    for (const script of [CONTEXT_SCRIPT, NETNS_SCRIPT]) {
      const code = script.replace(/'[^']*'/g, "''");
      for (const m of code.matchAll(/\d*>+\s*([^\s;)]+)/g)) expect(['/dev/null', '&1', '&2']).toContain(m[1]);
      expect(script).not.toMatch(/sed +-i|system\(|print *>|\| *"|\btee\b|\bmodprobe\b|\bsysctl -w/);
    }
  });
});

describe('parsing the capture on recorded output', () => {
  it('this machine: init first, ip netns names, links with MTU, addresses and veth peers', () => {
    const s = HostContextSnapshotSchema.parse(parseContextOutput(local, 'TOK', AT));
    expect(s.truncated).toBeUndefined();
    expect(s.namespaces.map((n) => n.name)).toEqual([
      'init',
      'ppc-056e62',
      'ppc-ef0fdd',
      'pps-056e62',
      'pps-ef0fdd',
      'vdc-a',
      'vds-a',
    ]);
    const init = s.namespaces[0]!;
    expect(init.netns).toBe(4026531833);
    expect(init.links.find((l) => l.ifname === 'eth0')).toEqual({
      ifindex: 4,
      ifname: 'eth0',
      kind: 'ether',
      state: 'UP',
      carrier: true,
      mtu: 1400,
      qdisc: 'pfifo_fast',
      addresses: ['192.0.2.2/24', 'fd00::2/64', 'fe80::fc:ff:fe00:1/64'],
    });
    expect(init.routes).toContain('default via 192.0.2.1 dev eth0');
    expect(init.rules).toContain('0:\tfrom all lookup local');
    expect(init.sysctls['net.ipv4.ip_forward']).toBe('0');
    expect(init.sysctls['net.ipv4.ip_local_port_range']).toBe('32768 60999');
    expect(init.sysctls['net.core.rmem_max']).toBe('4194304');
    expect(init.counters.IpInReceives).toBe(675018);
    expect(init.counters.TcpExtListenDrops).toBe(0);
    expect(init.counters.Ip6InReceives).toBe(2);
    expect(init.listeners.some((l) => /users:\(\("sshd",pid=\d+/.test(l))).toBe(true);
    expect(init.nftables).toBe('');
    expect(init.errors).toEqual([]);
    const veth = s.namespaces[1]!.links.find((l) => l.kind === 'veth');
    expect(veth).toMatchObject({
      ifname: 'ppc056e62',
      link: 'if2 nsid 0',
      addresses: ['10.231.236.1/24', expect.any(String)],
    });
  });

  it('vm612 (busybox, no ss): netstat listeners, the nft ruleset with handles, other engineers’ netns', () => {
    const s = parseContextOutput(vm612, 'TOK', AT);
    expect(s.namespaces.map((n) => n.name)).toEqual(['init', 'ctxweb', 'uic-c', 'uic-r', 'uic-s']);
    const [init, web] = s.namespaces;
    expect(init!.listeners).toEqual([
      expect.stringMatching(/^tcp +0 +0 0\.0\.0\.0:22 /),
      expect.stringMatching(/^tcp +0 +0 :::22 /),
    ]);
    expect(init!.routes).toContain('10.99.0.0/24 dev ctxa proto kernel scope link src 10.99.0.1');
    expect(web!.nftables).toContain('icmp type echo-request drop # handle 2');
    expect(web!.links.find((l) => l.ifname === 'ctxb')).toMatchObject({
      kind: 'veth',
      mtu: 1400,
      addresses: ['10.99.0.2/24', expect.any(String)],
    });
    expect(web!.errors).toEqual([]);
  });

  it('a capture cut by the size bound or killed keeps what arrived and says so', () => {
    const killed = parseContextOutput(local.slice(0, local.indexOf('@@TOK ns 4026532177')), 'TOK', AT);
    expect(killed.namespaces.map((n) => n.name)).toEqual(['init', 'ppc-056e62']);
    expect(killed.truncated).toBe(true);
    expect(killed.error).toMatch(/ended early/);
    const big = `@@TOK ns 1\tinit\n@@TOK sec route4\n${'10.0.0.0/8 dev x\n'.repeat(TOTAL_CAP / 16)}`;
    const cut = parseContextOutput(big, 'TOK', AT);
    expect(cut.error).toMatch(/output cut at 4194304 bytes/);
    expect(cut.namespaces[0]!.errors).toEqual([`route4: cut at ${SECTION_CAP} bytes`]);
    expect(parseContextOutput('@@TOK ns 1\tx\n@@TOK cut time\n@@TOK done\n', 'TOK', AT)).toMatchObject({
      truncated: true,
      error: 'stopped at the time bound',
    });
  });

  it('markers need the token: a namespace’s own output cannot open a section or a namespace', () => {
    const forged = local.replace('@@TOK sec ss\n', '@@TOK sec ss\n@@OTHER ns 7\tfake\n@@ ns 8\tfake\n');
    const s = parseContextOutput(forged, 'TOK', AT);
    expect(s.namespaces.map((n) => n.name)).not.toContain('fake');
    expect(s.namespaces[0]!.listeners).toContain('@@OTHER ns 7\tfake');
  });

  it('output that does not parse becomes an error of that namespace, never a throw', () => {
    const s = parseContextOutput(
      '@@TOK ns 5\tx\n@@TOK sec addr\nip: command not found\n@@TOK done\n',
      'TOK',
      AT,
    );
    expect(s.namespaces[0]!.errors[0]).toMatch(/^addr: .*ip: command not found/);
  });
});
