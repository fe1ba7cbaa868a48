import { tcpConnect } from '../netns.js';
import { droppedFrom, type Scenario } from './scenario.js';

/** A TCP SYN to a port nobody listens on: the server answers with a RST. */
export const tcpClosedPort: Scenario = {
  rule: 'tcp-closed-port',
  verdict: 'dropped',
  hosts: ['local', 'vm612', 'vm510'],
  linked: true,
  filter: (t) => `tcp and host ${t.serverAddr} and port 9`,
  traffic: async (t) => void (await tcpConnect(t, 9)),
  pick: (t, doc) => droppedFrom(doc, t.clientAddr, t.serverAddr, 6),
  names: (t) => ['port 9', t.server],
};
