import { tcpListen } from '../netns.js';
import { tryInNs } from './helpers.js';
import { packetWhere, type Scenario } from './scenario.js';

const PORT = 8080;

/** Healthy: a TCP segment with data reaches the listener's socket (nc) in the server. */
export const tcpDelivered: Scenario = {
  rule: 'tcp-delivered',
  verdict: 'delivered',
  hosts: ['local'],
  filter: (t) => `tcp and host ${t.serverAddr} and port ${PORT}`,
  setup: (t) => tcpListen(t, PORT),
  traffic: async (t) =>
    void (await tryInNs(t, t.client, `sh -c 'echo pktpath | nc -N -w 2 ${t.serverAddr} ${PORT}'`)),
  pick: (t, doc) =>
    packetWhere(
      doc,
      (tu, p) =>
        tu.daddr === t.serverAddr &&
        tu.dport === PORT &&
        p.hops.some((h) => h.function === 'skb_copy_datagram_iovec'),
    ),
  names: (t) => ['nc', `port ${PORT}`, t.server],
};
