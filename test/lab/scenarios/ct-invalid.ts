import { addNftDrop } from '../netns.js';
import { py, tryInNs } from './helpers.js';
import { droppedFrom, type Scenario } from './scenario.js';

/** `ct state invalid drop` in the server's input hook meets a TCP segment with SYN and FIN set. */
export const ctInvalid: Scenario = {
  rule: 'ct-invalid',
  verdict: 'dropped',
  hosts: ['local'],
  tools: ['/usr/bin/python3'],
  filter: (t) => `tcp and host ${t.serverAddr} and port 7070`,
  setup: (t) => addNftDrop(t, 'ct state invalid drop'),
  traffic: async (t) =>
    void (await tryInNs(t, t.client, py('raw_send.py', 'tcp-synfin', t.clientAddr, t.serverAddr, '7070'))),
  pick: (t, doc) => droppedFrom(doc, t.clientAddr, t.serverAddr, 6),
  names: (t) => ['ct state invalid drop', 'chain input', t.server],
};
