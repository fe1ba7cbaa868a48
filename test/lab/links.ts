import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';

/**
 * Real L2 links between lab VMs: each link is a pair of qemu `-netdev dgram` endpoints (UDP on 127.0.0.1) with a
 * virtio NIC in each guest, so frames cross two kernels' full receive and transmit paths.
 *
 *        10.99.0.1 l-vm612 ─────────── l-vm61 10.99.0.2
 *   vm61                                                vm612
 *        10.99.1.1 l-router ─┐      ┌─ l-router 10.99.2.2
 *                  10.99.1.254 l-vm61  router  l-vm612 10.99.2.254   (ip_forward on)
 *
 * vm61 reaches 10.99.2.0/24 through the router and vm612 reaches 10.99.1.0/24 through it: a ping from 10.99.1.1
 * to 10.99.2.2 crosses three kernels. Neighbours are static (no ARP before the first packet) and IPv6 is off on
 * the links, so the only frames on them are the ones a test sends.
 */
export type LinkedVm = 'vm61' | 'vm612' | 'router';
export const LINKED_VMS: readonly LinkedVm[] = ['vm61', 'vm612', 'router'];

export interface LinkEnd {
  host: LinkedVm;
  ifname: string;
  mac: string;
  /** Address with prefix length. */
  addr: string;
}

interface LinkSpec {
  name: 'direct' | 'vm61-router' | 'router-vm612';
  a: LinkEnd;
  b: LinkEnd;
}

export const LINKS: readonly LinkSpec[] = [
  {
    name: 'direct',
    a: { host: 'vm61', ifname: 'l-vm612', mac: '52:54:00:99:00:01', addr: '10.99.0.1/24' },
    b: { host: 'vm612', ifname: 'l-vm61', mac: '52:54:00:99:00:02', addr: '10.99.0.2/24' },
  },
  {
    name: 'vm61-router',
    a: { host: 'vm61', ifname: 'l-router', mac: '52:54:00:99:01:01', addr: '10.99.1.1/24' },
    b: { host: 'router', ifname: 'l-vm61', mac: '52:54:00:99:01:fe', addr: '10.99.1.254/24' },
  },
  {
    name: 'router-vm612',
    a: { host: 'vm612', ifname: 'l-router', mac: '52:54:00:99:02:02', addr: '10.99.2.2/24' },
    b: { host: 'router', ifname: 'l-vm612', mac: '52:54:00:99:02:fe', addr: '10.99.2.254/24' },
  },
];

const ROUTES: Record<LinkedVm, string[]> = {
  vm61: ['10.99.2.0/24 via 10.99.1.254'],
  vm612: ['10.99.1.0/24 via 10.99.2.254'],
  router: [],
};

/** The UDP port each link end binds; allocated once per lab runtime dir so a rebooted VM rejoins its peers. */
export interface LinkPorts {
  ports: Record<string, number>;
}

const portKey = (link: LinkSpec, end: 'a' | 'b') => `${link.name}.${end}`;
const linksFile = (runtimeDir: string) => join(runtimeDir, 'links.json');

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

/** The recorded link ports, or new ones (written) when there are none yet. */
export async function ensureLinkPorts(runtimeDir: string): Promise<LinkPorts> {
  const file = linksFile(runtimeDir);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as LinkPorts;
  const ports: Record<string, number> = {};
  for (const link of LINKS)
    for (const end of ['a', 'b'] as const) ports[portKey(link, end)] = await freeUdpPort();
  writeFileSync(`${file}.tmp`, JSON.stringify({ ports }, null, 2));
  renameSync(`${file}.tmp`, file);
  return { ports };
}

/** A VM booted with these links records this signature; a recorded VM with another one must be rebooted. */
export function linkSignature(p: LinkPorts): string {
  return Object.entries(p.ports)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function endsOf(host: LinkedVm): { link: LinkSpec; self: 'a' | 'b'; me: LinkEnd; peer: LinkEnd }[] {
  return LINKS.flatMap((link) =>
    (['a', 'b'] as const)
      .filter((e) => link[e].host === host)
      .map((self) => ({ link, self, me: link[self], peer: link[self === 'a' ? 'b' : 'a'] })),
  );
}

/** qemu arguments for `host`'s link NICs: a dgram netdev sending to its peer's port. */
export function linkQemuArgs(host: LinkedVm, p: LinkPorts): string[] {
  return endsOf(host).flatMap(({ link, self }) => {
    const local = p.ports[portKey(link, self)];
    const remote = p.ports[portKey(link, self === 'a' ? 'b' : 'a')];
    const id = `lnk-${link.name}`;
    return [
      '-netdev',
      `dgram,id=${id},local.type=inet,local.host=127.0.0.1,local.port=${local},remote.type=inet,remote.host=127.0.0.1,remote.port=${remote}`,
      '-device',
      `virtio-net-pci,netdev=${id},mac=${link[self].mac},romfile=`,
    ];
  });
}

/** Guest shell script naming each link NIC (found by MAC), addressing it, and adding routes; idempotent. */
export function linkSetupScript(host: LinkedVm): string {
  const lines = ['set -e'];
  if (host === 'router') lines.push('hostname router', 'echo 1 > /proc/sys/net/ipv4/ip_forward');
  for (const { me, peer } of endsOf(host)) {
    const ip = bare(peer.addr);
    lines.push(
      `dev=$(grep -l '^${me.mac}$' /sys/class/net/*/address | cut -d/ -f5)`,
      `[ "$dev" = ${me.ifname} ] || { ip link set dev "$dev" down; ip link set dev "$dev" name ${me.ifname}; }`,
      `echo 1 > /proc/sys/net/ipv6/conf/${me.ifname}/disable_ipv6 2>/dev/null || true`,
      `ip addr replace ${me.addr} dev ${me.ifname}`,
      `ip link set ${me.ifname} up`,
      `ip neigh replace ${ip} lladdr ${peer.mac} dev ${me.ifname} nud permanent`,
    );
  }
  for (const r of ROUTES[host]) lines.push(`ip route replace ${r}`);
  return lines.join('\n');
}

/** The address of `host` on the link to `peer` (without prefix length), e.g. linkAddr('vm61', 'vm612'). */
export function linkAddr(host: LinkedVm, peer: LinkedVm): string {
  const end = endsOf(host).find((e) => e.peer.host === peer);
  if (!end) throw new Error(`no lab link between ${host} and ${peer}`);
  return bare(end.me.addr);
}

/** The interface name on `host` facing `peer`. */
export function linkIfname(host: LinkedVm, peer: LinkedVm): string {
  const end = endsOf(host).find((e) => e.peer.host === peer);
  if (!end) throw new Error(`no lab link between ${host} and ${peer}`);
  return end.me.ifname;
}

const bare = (cidr: string) => cidr.replace(/\/\d+$/, '');
