import { absentNeighbour, tryInNs } from './helpers.js';
import { droppedFrom, type Scenario } from './scenario.js';

/** The client pings an on-link address nobody has: ARP is never answered and the queued packet is dropped. */
export const neighFailed: Scenario = {
  rule: 'neigh-failed',
  verdict: 'dropped',
  hosts: ['local'],
  filter: (t) => `icmp and host ${absentNeighbour(t)}`,
  traffic: async (t) => void (await tryInNs(t, t.client, `ping -n -c 1 -W 4 ${absentNeighbour(t)}`)),
  // the kernel gives up on ARP after ~3 s (3 probes, 1 s apart)
  settleMs: 1500,
  pick: (t, doc) => droppedFrom(doc, t.clientAddr, absentNeighbour(t), 1, true),
  names: (t) => [absentNeighbour(t), t.clientIf, t.client],
};
