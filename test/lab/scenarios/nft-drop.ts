import { addNftDrop } from '../netns.js';
import { ping } from '../netns.js';
import { droppedFrom, type Scenario } from './scenario.js';

/** An nftables rule in the server's input hook drops the echo requests. */
export const nftDrop: Scenario = {
  rule: 'nft-drop',
  verdict: 'dropped',
  hosts: ['local', 'vm612', 'vm510'],
  filter: (t) => `icmp and host ${t.serverAddr}`,
  setup: (t) => addNftDrop(t, 'icmp type echo-request drop'),
  traffic: async (t) => void (await ping(t, 1)),
  pick: (t, doc) => droppedFrom(doc, t.clientAddr, t.serverAddr, 1),
  names: (t) => ['icmp type echo-request drop', 'inet pktpath_lab', 'chain input', t.server],
};
