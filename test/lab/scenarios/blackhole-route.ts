import { addBlackhole, ping } from '../netns.js';
import { routerOf } from './helpers.js';
import { droppedFrom, type Scenario } from './scenario.js';

/** The router black-holes the server's address. */
export const blackholeRoute: Scenario = {
  rule: 'blackhole-route',
  verdict: 'dropped',
  routed: true,
  hosts: ['local'],
  filter: (t) => `icmp and host ${t.serverAddr}`,
  setup: (t) => addBlackhole(t),
  traffic: async (t) => void (await ping(t, 1)),
  pick: (t, doc) => droppedFrom(doc, t.clientAddr, t.serverAddr, 1),
  names: (t) => [`blackhole ${t.serverAddr}`, routerOf(t)],
};
