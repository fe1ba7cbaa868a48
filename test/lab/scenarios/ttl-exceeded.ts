import { routerOf, tryInNs } from './helpers.js';
import { droppedFrom, type Scenario } from './scenario.js';

/** A TTL of 1 expires on the router: ICMP "time exceeded" goes back to the client. */
export const ttlExceeded: Scenario = {
  rule: 'ttl-exceeded',
  verdict: 'dropped',
  routed: true,
  hosts: ['local'],
  linked: true,
  filter: (t) => `icmp and host ${t.clientAddr}`,
  traffic: async (t) => void (await tryInNs(t, t.client, `ping -n -c 1 -W 1 -t 1 ${t.serverAddr}`)),
  pick: (t, doc) => droppedFrom(doc, t.clientAddr, t.serverAddr, 1),
  names: (t) => ['TTL', routerOf(t)],
};
