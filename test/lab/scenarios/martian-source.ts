import { inNs, py, tryInNs } from './helpers.js';
import { droppedFrom, type Scenario } from './scenario.js';

const MARTIAN = '127.0.0.9';

/** An echo request from a loopback source arrives on the server's veth: a martian source. */
export const martianSource: Scenario = {
  rule: 'martian-source',
  verdict: 'dropped',
  hosts: ['local'],
  tools: ['/usr/bin/python3'],
  filter: (t) => `icmp and dst host ${t.serverAddr}`,
  // the client learns the server's MAC first: an ARP request from a loopback source is not answered
  setup: async (t) => void (await inNs(t, t.client, `ping -n -c 1 -W 1 ${t.serverAddr}`)),
  traffic: async (t) =>
    void (await tryInNs(t, t.client, py('raw_send.py', 'icmp-echo', MARTIAN, t.serverAddr))),
  pick: (t, doc) => droppedFrom(doc, MARTIAN, t.serverAddr, 1),
  names: (t) => [MARTIAN, t.serverIf, t.server],
};
