import { inNs, routerOf, routerSide, tryInNs } from './helpers.js';
import { droppedFrom, type Scenario } from './scenario.js';

/** A 1228-byte packet with DF set meets the router's 1000-byte next hop: ICMP "fragmentation needed" goes back. */
export const fragNeeded: Scenario = {
  rule: 'frag-needed',
  verdict: 'dropped',
  routed: true,
  hosts: ['local'],
  linked: true,
  filter: (t) => `icmp and host ${t.clientAddr}`,
  setup: async (t) => {
    const r = routerSide(t);
    await inNs(t, r.router, `ip link set ${r.serverSideIf} mtu 1000`);
    await inNs(t, t.server, `ip link set ${t.serverIf} mtu 1000`);
  },
  traffic: async (t) => void (await tryInNs(t, t.client, `ping -n -c 1 -W 1 -M do -s 1200 ${t.serverAddr}`)),
  pick: (t, doc) => droppedFrom(doc, t.clientAddr, t.serverAddr, 1),
  names: (t) => [routerSide(t).serverSideIf, 'MTU 1000', routerOf(t)],
};
