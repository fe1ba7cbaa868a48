import { ping } from '../netns.js';
import { inNs } from './helpers.js';
import { droppedFrom, type Scenario } from './scenario.js';

/** An iptables DROP rule in the server's INPUT chain. */
export const iptablesDrop: Scenario = {
  rule: 'iptables-drop',
  verdict: 'dropped',
  hosts: ['local'],
  tools: ['iptables', 'iptables-save'],
  filter: (t) => `icmp and host ${t.serverAddr}`,
  setup: (t) =>
    inNs(t, t.server, 'iptables -A INPUT -p icmp --icmp-type echo-request -j DROP').then(() => undefined),
  traffic: async (t) => void (await ping(t, 1)),
  pick: (t, doc) => droppedFrom(doc, t.clientAddr, t.serverAddr, 1),
  names: (t) => ['-A INPUT -p icmp -m icmp --icmp-type 8 -j DROP', t.server],
};
