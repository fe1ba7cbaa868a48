import { labContext } from '../support/lab-context.js';
import { describe, expect } from 'vitest';
import { labTarget } from './lab.js';
import { linkAddr, linkIfname, type LinkedVm } from './links.js';
import { sshRun } from './ssh-client.js';

// The lab links (links.ts): vm61 ⇄ vm612 directly, and both through the router, each a real L2 link between two
// guests' virtio NICs. Pings prove the frames cross; the TTL proves which path they took.
const { lab, labIt } = labContext();
const it = labIt({ hosts: ['vm61', 'vm612', 'router'] });
const run = async (host: LinkedVm, script: string) => {
  const r = await sshRun(labTarget(lab(), host), lab().runtimeDir, script, 60_000);
  return { ...r, out: r.stdout };
};
/** `ping` from `host`, from `src`, to `dst`: received count and the reply TTL. */
async function ping(host: LinkedVm, src: string, dst: string) {
  const r = await run(host, `ping -n -c 3 -i 0.3 -W 3 -I ${src} ${dst}`);
  const received = Number(/(\d+) received/.exec(r.out)?.[1] ?? -1);
  const ttl = Number(/ttl=(\d+)/.exec(r.out)?.[1] ?? -1);
  return { received, ttl, out: r.out + r.stderr };
}

describe('lab links', () => {
  it('names each link NIC after its peer, with the documented address, on all three guests', async () => {
    const r = await run('router', 'hostname; ip -br -4 addr show; cat /proc/sys/net/ipv4/ip_forward');
    expect(r.code, r.stderr).toBe(0);
    expect(r.out).toMatch(/^router\n/);
    expect(r.out).toMatch(/^l-vm61\s+UP\s+10\.99\.1\.254\/24/m);
    expect(r.out).toMatch(/^l-vm612\s+UP\s+10\.99\.2\.254\/24/m);
    expect(r.out.trim().endsWith('1')).toBe(true);
    for (const [h, peer] of [
      ['vm61', 'vm612'],
      ['vm612', 'vm61'],
      ['vm61', 'router'],
      ['vm612', 'router'],
    ] as const) {
      const a = await run(h, `ip -br -4 addr show dev ${linkIfname(h, peer)}`);
      expect(a.out, `${h} → ${peer}`).toContain(`${linkAddr(h, peer)}/24`);
    }
  });

  it('carries pings vm61 ⇄ vm612 on the direct link (one hop: TTL 64)', async () => {
    const there = await ping('vm61', '10.99.0.1', '10.99.0.2');
    expect(there, there.out).toMatchObject({ received: 3, ttl: 64 });
    const back = await ping('vm612', '10.99.0.2', '10.99.0.1');
    expect(back, back.out).toMatchObject({ received: 3, ttl: 64 });
  });

  it('forwards vm61 ⇄ vm612 through the router (three kernels: TTL 63 both ways)', async () => {
    const forwarded = async () =>
      Number((await run('router', 'awk \'$1 == "Ip:" && $2 ~ /^[0-9]/ { print $7 }\' /proc/net/snmp')).out);
    const before = await forwarded();
    const there = await ping('vm61', '10.99.1.1', '10.99.2.2');
    expect(there, there.out).toMatchObject({ received: 3, ttl: 63 });
    const back = await ping('vm612', '10.99.2.2', '10.99.1.1');
    expect(back, back.out).toMatchObject({ received: 3, ttl: 63 });
    // the router's ForwDatagrams counter moved by each request and reply: they did go through it
    expect((await forwarded()) - before).toBeGreaterThanOrEqual(12);
  });

  it('reaches nothing it should not: a non-existent address on the link gets no reply', async () => {
    const r = await ping('vm61', '10.99.0.1', '10.99.0.77');
    expect(r.received, r.out).toBe(0);
  });
});
