import { ping } from '../netns.js';
import { inNs, routerOf } from './helpers.js';
import { droppedFrom, type Scenario } from './scenario.js';

/** The router's ip_forward is off: it drops what it should route (and answers "host unreachable"). */
export const forwardingDisabled: Scenario = {
  rule: 'forwarding-disabled',
  verdict: 'dropped',
  routed: true,
  hosts: ['local'],
  filter: (t) => `icmp and host ${t.serverAddr}`,
  setup: (t) => inNs(t, routerOf(t), `sh -c 'echo 0 > /proc/sys/net/ipv4/ip_forward'`).then(() => undefined),
  traffic: async (t) => void (await ping(t, 1)),
  pick: (t, doc) => droppedFrom(doc, t.clientAddr, t.serverAddr, 1),
  names: (t) => ['net.ipv4.ip_forward', routerOf(t)],
};
