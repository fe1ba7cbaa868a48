import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import type { Flow } from '../../main/api/flows.js';
import type { PacketPath } from '../../main/api/trace.js';
import { check } from '../lab/exec.js';
import { writeLabInventory } from '../lab/inventory.js';
import { labTarget, type LabHostName } from '../lab/lab.js';
import { ensureLinkPorts } from '../lab/links.js';
import { sshRun } from '../lab/ssh-client.js';
import { labContext } from '../support/lab-context.js';

// One trace on two or three lab kernels joined by real links (links.ts): the built CLI, `trace HOST1 HOST2 …`,
// traffic made while it traces, stopped with Ctrl-C (SIGINT) as a person would, then its `--json` flows read.
const { lab, labIt } = labContext();
const it = labIt({ hosts: ['vm61', 'vm612'], needs: { root: true, tools: ['nft'] } });
const itRouted = labIt({ hosts: ['vm61', 'vm612', 'router'] });
/** Attaching ~60 probes on each TCG guest takes a while on a loaded 2-core machine. */
const SLOW = 300_000;
const scratch = mkdtempSync(join(tmpdir(), 'pktpath-flows-'));
const home = join(scratch, 'home');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface GroupDoc {
  hosts: { host: string; run_id: string | null; error?: string }[];
  packets: (PacketPath & { host: string })[];
  flows: Flow[];
}

const on = (h: LabHostName, script: string, timeoutMs = 60_000) =>
  sshRun(labTarget(lab(), h), lab().runtimeDir, script, timeoutMs);

/** `pktpath trace HOSTS --filter F --json` until every host traces, then `traffic`, then Ctrl-C. */
async function traceWhile(hosts: LabHostName[], filter: string, traffic: () => Promise<unknown>) {
  writeLabInventory(lab(), home);
  const child = spawn(
    process.execPath,
    ['bin/pktpath.mjs', 'trace', ...hosts, '--filter', filter, '--duration', '300', '--json'],
    { env: { ...process.env, PKTPATH_HOME: home, SSH_AUTH_SOCK: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const tracing = new Promise<void>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (hosts.every((h) => stderr.includes(`tracing on ${h} `))) resolve();
    });
    child.on('close', () => reject(new Error(`pktpath ended before tracing: ${stderr}`)));
  });
  const closed = new Promise<number | null>((r) => child.on('close', r));
  try {
    await tracing;
    await traffic();
    await new Promise((r) => setTimeout(r, 1500)); // the last hops (TX completion frees) come in
  } finally {
    child.kill('SIGINT'); // stops every host together (trace.stopGroup)
  }
  const code = await closed;
  expect(code, stderr).toBe(0);
  return { doc: JSON.parse(stdout) as GroupDoc, stderr };
}

/** The flows whose segments went over exactly these hosts in this order. */
const along = (doc: GroupDoc, path: string[]) =>
  doc.flows.filter((f) => f.segments.map((s) => s.host).join(' ') === path.join(' '));

/**
 * An independent reading of θ = clock(b) − clock(a) (CLOCK_MONOTONIC): each VM's `now at N nsecs` line of
 * /proc/timer_list over OpenSSH, bracketed by this machine's clock.
 */
async function referenceOffset(a: LabHostName, b: LabHostName) {
  const read = async (h: LabHostName) => {
    const t0 = performance.now();
    const r = await on(h, 'grep -m1 "^now at" /proc/timer_list');
    const t1 = performance.now();
    const ns = Number(/now at (\d+) nsecs/.exec(r.stdout)?.[1]);
    return { lo: ns - t1 * 1e6, hi: ns - t0 * 1e6 };
  };
  const [ra, rb] = [await read(a), await read(b)];
  return { lo: rb.lo - ra.hi, hi: rb.hi - ra.lo };
}

describe('flows across lab hosts (issue 11)', () => {
  it(
    'a ping vm61 → vm612 traced on both is one flow each way, both segments in order, a plausible clock offset',
    async () => {
      const ping = () => on('vm61', 'ping -n -c 3 -i 0.5 -W 3 -I 10.99.0.1 10.99.0.2');
      const { doc } = await traceWhile(['vm61', 'vm612'], 'icmp and host 10.99.0.2', ping);
      expect(doc.hosts.map((h) => [h.host, h.error])).toEqual([
        ['vm61', undefined],
        ['vm612', undefined],
      ]);
      expect(new Set(doc.packets.map((p) => p.host))).toEqual(new Set(['vm61', 'vm612']));
      const requests = along(doc, ['vm61', 'vm612']);
      const replies = along(doc, ['vm612', 'vm61']);
      expect(requests.length, JSON.stringify(doc.flows, null, 1)).toBe(3);
      expect(replies.length).toBe(3);
      const ref = await referenceOffset('vm61', 'vm612');
      for (const f of [...requests, ...replies]) {
        expect(f.matched_on).toBe('icmp type/seq + IP ID');
        expect(f.segments[1]!.gap_ns).toBeGreaterThan(0);
        // the stated interval holds the independently measured offset (sign: last host minus first)
        const sign = f.segments[0]!.host === 'vm61' ? 1 : -1;
        const u = f.uncertainty_ns!;
        expect(u).toBeLessThan(100e6);
        const [lo, hi] = sign > 0 ? [ref.lo, ref.hi] : [-ref.hi, -ref.lo];
        expect(f.clock_offset_ns + u, `${f.clock_offset_ns} ± ${u} vs [${lo}, ${hi}]`).toBeGreaterThanOrEqual(
          lo,
        );
        expect(f.clock_offset_ns - u).toBeLessThanOrEqual(hi);
      }
      // time order: each request before its reply
      const firstHosts = doc.flows.filter((f) => f.segments.length === 2).map((f) => f.segments[0]!.host);
      expect(firstHosts).toEqual(['vm61', 'vm612', 'vm61', 'vm612', 'vm61', 'vm612']);
    },
    SLOW,
  );

  it(
    'an nft drop on vm612 ends the flow there, at vm612’s drop point',
    async () => {
      const table = 'pktpath_flows_test';
      await on(
        'vm612',
        `nft add table inet ${table}; nft add chain inet ${table} in '{ type filter hook input priority 0; }'; nft add rule inet ${table} in ip saddr 10.99.0.1 icmp type echo-request drop`,
      );
      try {
        const ping = () => on('vm61', 'ping -n -c 2 -i 0.5 -W 1 -I 10.99.0.1 10.99.0.2');
        const { doc } = await traceWhile(['vm61', 'vm612'], 'icmp and host 10.99.0.2', ping);
        const dropped = along(doc, ['vm61', 'vm612']);
        expect(dropped.length, JSON.stringify(doc.flows, null, 1)).toBe(2);
        for (const f of dropped) {
          expect(f.headline).toMatch(/^vm61 → vm612: dropped on vm612 at \S+ \(NETFILTER_DROP\)$/);
          const p = doc.packets.find((x) => x.host === 'vm612' && x.id === f.segments[1]!.packet_id)!;
          expect(p.drop_reason).toBe('NETFILTER_DROP');
        }
        expect(along(doc, ['vm612', 'vm61'])).toEqual([]);
      } finally {
        await on('vm612', `nft delete table inet ${table}`);
      }
    },
    SLOW,
  );

  it(
    'a packet lost on the wire is "left vm61 …, not seen on vm612"',
    async () => {
      // The wire is qemu's UDP between the two guests, on this machine: drop what goes to vm612's end of the link.
      const port = (await ensureLinkPorts(lab().runtimeDir)).ports['direct.b'];
      const table = `pktpath_wire_${port}`;
      await check('nft', ['-f', '-'], {
        input: `table inet ${table} {\n chain in {\n type filter hook input priority 0;\n iif lo udp dport ${port} drop\n }\n}\n`,
      });
      try {
        const ping = () => on('vm61', 'ping -n -c 2 -i 0.5 -W 1 -I 10.99.0.1 10.99.0.2');
        const { doc } = await traceWhile(['vm61', 'vm612'], 'icmp and host 10.99.0.2', ping);
        const lost = along(doc, ['vm61']).filter((f) => f.headline.startsWith('left vm61'));
        expect(lost.length, JSON.stringify(doc.flows, null, 1)).toBe(2);
        for (const f of lost)
          expect(f.headline).toMatch(
            /^left vm61 on .+ at \d\d:\d\d:\d\d\.\d{6} UTC, not seen on vm612 \(lost on the wire or before the first probe on vm612\)$/,
          );
        expect(doc.packets.filter((p) => p.host === 'vm612')).toEqual([]);
      } finally {
        await check('nft', ['delete', 'table', 'inet', table]);
      }
    },
    SLOW,
  );

  itRouted(
    'a forwarded ping crosses three kernels: vm61 → router → vm612 and back',
    async () => {
      const ping = () => on('vm61', 'ping -n -c 2 -i 0.5 -W 3 -I 10.99.1.1 10.99.2.2');
      const { doc } = await traceWhile(['vm61', 'vm612', 'router'], 'icmp and host 10.99.2.2', ping);
      const there = along(doc, ['vm61', 'router', 'vm612']);
      const back = along(doc, ['vm612', 'router', 'vm61']);
      expect(there.length, JSON.stringify(doc.flows, null, 1)).toBe(2);
      expect(back.length).toBe(2);
      for (const f of [...there, ...back]) {
        expect(f.changed_fields).toEqual([]);
        expect(f.segments.slice(1).every((s) => (s.gap_ns ?? 0) > 0)).toBe(true);
      }
    },
    SLOW,
  );
});
