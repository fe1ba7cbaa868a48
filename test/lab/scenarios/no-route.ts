import { ping } from '../netns.js';
import { inNs, routerOf, routerSide } from './helpers.js';
import { droppedFrom, type Scenario } from './scenario.js';

/** The router lost its route to the server's subnet (and has no default): ICMP "net unreachable" goes back. */
export const noRoute: Scenario = {
  rule: 'no-route',
  verdict: 'dropped',
  routed: true,
  hosts: ['local', 'vm612', 'vm510'],
  linked: true,
  filter: (t) => `icmp and host ${t.clientAddr}`,
  setup: async (t) => {
    const r = routerSide(t);
    await inNs(t, r.router, `ip route del 10.233.${r.n}.0/24 dev ${r.serverSideIf}`);
  },
  traffic: async (t) => void (await ping(t, 1)),
  pick: (t, doc) => droppedFrom(doc, t.clientAddr, t.serverAddr, 1),
  names: (t) => [t.serverAddr, routerOf(t)],
};
