import { tryInNs } from './helpers.js';
import { droppedFrom, type Scenario } from './scenario.js';

/** A UDP datagram to a port nobody listens on: the server answers ICMP "port unreachable". */
export const udpClosedPort: Scenario = {
  rule: 'udp-closed-port',
  verdict: 'dropped',
  hosts: ['local'],
  linked: true,
  filter: (t) => `host ${t.serverAddr} and (udp port 9 or icmp)`,
  traffic: async (t) =>
    void (await tryInNs(t, t.client, `sh -c 'echo pktpath | nc -u -w 1 ${t.serverAddr} 9'`)),
  pick: (t, doc) => droppedFrom(doc, t.clientAddr, t.serverAddr, 17),
  names: (t) => ['port 9', t.server],
};
