import { randomBytes, randomInt } from 'node:crypto';
import { sh, type Shell } from './exec.js';

/**
 * Traffic topologies built from network namespaces and veth pairs, on whichever host `shell` reaches (this machine
 * as root, or a lab VM over SSH). The same scripts run under bash and busybox sh.
 */
export interface Topology {
  id: string;
  shell: Shell;
  client: string; // netns names
  server: string;
  router?: string;
  clientAddr: string;
  serverAddr: string;
  /** Interface names inside each namespace (veth ends). */
  clientIf: string;
  serverIf: string;
}

const newId = () => randomBytes(3).toString('hex');
/** A /24 per topology, so concurrent topologies on one host have distinct addresses a filter can tell apart. */
const subnetByte = () => randomInt(16, 240);

/**
 * Shell lines that wait (≤ 5 s) until each veth end is operationally UP and, where IPv6 is on, has its link-local
 * address. `ip link set up` returns before either: the kernel applies carrier and operstate later (linkwatch, up to
 * a second), and a host-context capture taken in between records the link as DOWN, unlike a settled run.
 */
function awaitLinksUp(ends: [netns: string, ifname: string][]): string[] {
  return ends.map(
    ([ns, dev]) =>
      `i=0; until ip -n ${ns} -o link show dev ${dev} | grep -q 'state UP' && ` +
      `{ [ "$(ip netns exec ${ns} cat /proc/sys/net/ipv6/conf/${dev}/disable_ipv6 2>/dev/null || echo 1)" = 1 ] || ` +
      `ip -n ${ns} -6 -o addr show dev ${dev} scope link | grep -q fe80; }; do ` +
      `i=$((i+1)); [ $i -lt 100 ] || { echo "${dev} in ${ns} did not come up" >&2; exit 1; }; sleep 0.05; done`,
  );
}

/** client ⇄ server over one veth pair. */
export async function createPair(shell: Shell, id = newId()): Promise<Topology> {
  const n = subnetByte();
  const t: Topology = {
    id,
    shell,
    client: `ppc-${id}`,
    server: `pps-${id}`,
    clientAddr: `10.231.${n}.1`,
    serverAddr: `10.231.${n}.2`,
    clientIf: `ppc${id}`,
    serverIf: `pps${id}`,
  };
  await sh(
    shell,
    [
      'set -e',
      `ip netns add ${t.client}`,
      `ip netns add ${t.server}`,
      `ip link add ${t.clientIf} netns ${t.client} type veth peer name ${t.serverIf} netns ${t.server}`,
      `ip -n ${t.client} addr add ${t.clientAddr}/24 dev ${t.clientIf}`,
      `ip -n ${t.server} addr add ${t.serverAddr}/24 dev ${t.serverIf}`,
      `ip -n ${t.client} link set lo up`,
      `ip -n ${t.server} link set lo up`,
      `ip -n ${t.client} link set ${t.clientIf} up`,
      `ip -n ${t.server} link set ${t.serverIf} up`,
      ...awaitLinksUp([
        [t.client, t.clientIf],
        [t.server, t.serverIf],
      ]),
    ].join('\n'),
  ).catch(async (e: unknown) => {
    await destroy(t);
    throw e;
  });
  return t;
}

/** client ⇄ router ⇄ server: two veth pairs and a forwarding namespace in between, where routes can be broken. */
export async function createRouted(shell: Shell, id = newId()): Promise<Topology> {
  const n = subnetByte();
  const r = `ppr-${id}`;
  const t: Topology = {
    id,
    shell,
    client: `ppc-${id}`,
    server: `pps-${id}`,
    router: r,
    clientAddr: `10.232.${n}.1`,
    serverAddr: `10.233.${n}.2`,
    clientIf: `ppc${id}`,
    serverIf: `pps${id}`,
  };
  await sh(
    shell,
    [
      'set -e',
      `ip netns add ${t.client}`,
      `ip netns add ${r}`,
      `ip netns add ${t.server}`,
      `ip link add ${t.clientIf} netns ${t.client} type veth peer name prc${id} netns ${r}`,
      `ip link add ${t.serverIf} netns ${t.server} type veth peer name prs${id} netns ${r}`,
      `ip -n ${t.client} addr add ${t.clientAddr}/24 dev ${t.clientIf}`,
      `ip -n ${r} addr add 10.232.${n}.2/24 dev prc${id}`,
      `ip -n ${r} addr add 10.233.${n}.1/24 dev prs${id}`,
      `ip -n ${t.server} addr add ${t.serverAddr}/24 dev ${t.serverIf}`,
      ...[t.client, r, t.server].map((ns) => `ip -n ${ns} link set lo up`),
      `ip -n ${t.client} link set ${t.clientIf} up`,
      `ip -n ${r} link set prc${id} up`,
      `ip -n ${r} link set prs${id} up`,
      `ip -n ${t.server} link set ${t.serverIf} up`,
      `ip -n ${t.client} route add default via 10.232.${n}.2`,
      `ip -n ${t.server} route add default via 10.233.${n}.1`,
      `ip netns exec ${r} sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'`,
      ...awaitLinksUp([
        [t.client, t.clientIf],
        [r, `prc${id}`],
        [r, `prs${id}`],
        [t.server, t.serverIf],
      ]),
    ].join('\n'),
  ).catch(async (e: unknown) => {
    await destroy(t);
    throw e;
  });
  return t;
}

/** Removes the namespaces (and with them the veths, routes and nft tables inside). Idempotent. */
export async function destroy(t: Topology): Promise<void> {
  const names = [t.client, t.server, ...(t.router ? [t.router] : [])];
  // Processes started inside (listeners) would outlive the namespace's name: kill them first.
  const script = names.map(
    (ns) =>
      `for p in $(ip netns pids ${ns} 2>/dev/null); do kill -9 $p; done; ip netns del ${ns} 2>/dev/null || true`,
  );
  await sh(t.shell, script.join('\n'));
}

export interface PingResult {
  transmitted: number;
  received: number;
  output: string;
}

/** Pings the server from the client namespace; resolves with the counts whether or not replies came back. */
export async function ping(t: Topology, count = 3, intervalS = 0.2): Promise<PingResult> {
  const r = await t.shell(
    `ip netns exec ${t.client} ping -n -c ${count} -i ${intervalS} -W 1 ${t.serverAddr}`,
    {
      timeoutMs: 10_000 + count * 2000,
    },
  );
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(r.stdout);
  if (!m) throw new Error(`ping printed no summary (exit ${r.code}): ${r.stdout}${r.stderr}`);
  return { transmitted: Number(m[1]), received: Number(m[2]), output: r.stdout };
}

/** Drop scenario: an nftables rule in the server's input hook (default: drop ICMP echo requests). */
export async function addNftDrop(t: Topology, rule = 'icmp type echo-request drop'): Promise<void> {
  await sh(
    t.shell,
    [
      'set -e',
      `ip netns exec ${t.server} nft add table inet pktpath_lab`,
      `ip netns exec ${t.server} nft add chain inet pktpath_lab input '{ type filter hook input priority 0; policy accept; }'`,
      `ip netns exec ${t.server} nft add rule inet pktpath_lab input ${rule}`,
    ].join('\n'),
  );
}

/** Drop scenario: the router black-holes the server's address (routed topologies only). */
export async function addBlackhole(t: Topology): Promise<void> {
  if (!t.router) throw new Error('addBlackhole needs a routed topology (createRouted)');
  await sh(t.shell, `ip -n ${t.router} route add blackhole ${t.serverAddr}/32`);
}

/**
 * Opens a TCP connection from client to server:port and reports whether it was accepted. With nothing listening
 * (the closed-port scenario) the server answers with a RST and this resolves false.
 */
export async function tcpConnect(t: Topology, port: number): Promise<boolean> {
  // OpenBSD nc probes with -z; busybox nc (the VMs' userland) has no -z and connects with stdin closed instead
  const nc =
    `if nc -h 2>&1 | grep -q -- -z; then nc -z -w 2 ${t.serverAddr} ${port}; ` +
    `else nc -w 2 ${t.serverAddr} ${port} </dev/null; fi`;
  const r = await t.shell(`ip netns exec ${t.client} sh -c '${nc}'`, { timeoutMs: 10_000 });
  return r.code === 0;
}

/** Starts a TCP listener on server:port that accepts connections until the namespace is destroyed. */
export async function tcpListen(t: Topology, port: number): Promise<void> {
  // Backgrounded inside the netns; it dies with the namespace's processes when the test kills them on destroy.
  await sh(
    t.shell,
    // -k (OpenBSD nc) keeps one listening socket: restarting nc per connection left a gap where a quick next
    // connection was refused; the loop stays for ncs without -k
    `ip netns exec ${t.server} sh -c 'while true; do nc -lk ${port} </dev/null >/dev/null 2>&1 || nc -l -p ${port} </dev/null >/dev/null 2>&1 || nc -l ${port} </dev/null >/dev/null 2>&1; done' >/dev/null 2>&1 &
     for i in $(seq 1 50); do ip netns exec ${t.server} sh -c 'cat /proc/net/tcp' | grep -qi ":$(printf %04X ${port}) 00000000:0000 0A" && exit 0; sleep 0.1; done; exit 1`,
  );
}
