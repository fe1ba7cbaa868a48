import { ping } from '../netns.js';
import { inNs, routerOf } from './helpers.js';
import { droppedFrom, type Scenario } from './scenario.js';

/** The router has a `prohibit` route for the server: the request dies, ICMP "administratively prohibited" goes back. */
export const prohibitRoute: Scenario = {
  rule: 'unreachable-route',
  verdict: 'dropped',
  routed: true,
  hosts: ['local'],
  linked: true,
  filter: (t) => `icmp and host ${t.clientAddr}`,
  setup: (t) => inNs(t, routerOf(t), `ip route add prohibit ${t.serverAddr}/32`).then(() => undefined),
  traffic: async (t) => void (await ping(t, 1)),
  pick: (t, doc) => droppedFrom(doc, t.clientAddr, t.serverAddr, 1),
  names: (t) => [`prohibit ${t.serverAddr}`, routerOf(t)],
};
