import { sh } from '../exec.js';
import { inNs, py, routerOf, routerSide, tryInNs } from './helpers.js';
import { packetWhere, type Scenario } from './scenario.js';

const farAddr = (n: string) => `10.235.${n}.5`;

/**
 * Healthy: the router forwards the client's packets out of a tun device (the far side of a wire: a reader takes
 * them), so the path ends where it leaves the host.
 */
export const forwarded: Scenario = {
  rule: 'forwarded',
  verdict: 'forwarded',
  routed: true,
  hosts: ['local'],
  tools: ['/usr/bin/python3'],
  filter: (t) => `icmp and host ${farAddr(routerSide(t).n)}`,
  setup: async (t) => {
    const r = routerSide(t);
    const tun = `ppt${t.id}`;
    const log = `/tmp/pktpath-tun-sink-${t.id}`;
    await inNs(t, r.router, `ip tuntap add dev ${tun} mode tun`);
    await sh(
      t.shell,
      `ip netns exec ${r.router} ${py('tun_sink.py', tun)} >${log} 2>&1 &
       for i in $(seq 1 50); do grep -q ready ${log} && exit 0; sleep 0.1; done; cat ${log}; exit 1`,
    );
    await inNs(t, r.router, `ip link set ${tun} up`);
    await inNs(t, r.router, `ip route add 10.235.${r.n}.0/24 dev ${tun}`);
  },
  traffic: async (t) =>
    void (await tryInNs(t, t.client, `ping -n -c 2 -i 0.2 -W 1 ${farAddr(routerSide(t).n)}`)),
  pick: (t, doc) =>
    packetWhere(doc, (tu) => tu.saddr === t.clientAddr && tu.daddr === farAddr(routerSide(t).n)),
  names: (t) => [`ppt${t.id}`, routerOf(t)],
};
