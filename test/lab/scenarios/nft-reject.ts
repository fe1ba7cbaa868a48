import { addNftDrop, ping } from '../netns.js';
import { droppedFrom, type Scenario } from './scenario.js';

/** An nftables `reject` in the server's input hook: the request dies, an ICMP error goes back. */
export const nftReject: Scenario = {
  rule: 'nft-reject',
  verdict: 'dropped',
  hosts: ['local'],
  linked: true,
  filter: (t) => `icmp and host ${t.serverAddr}`,
  setup: (t) => addNftDrop(t, 'icmp type echo-request reject with icmp type admin-prohibited'),
  traffic: async (t) => void (await ping(t, 1)),
  pick: (t, doc) => droppedFrom(doc, t.clientAddr, t.serverAddr, 1),
  names: (t) => ['reject with icmp admin-prohibited', 'chain input', t.server],
};
