import { ping } from '../netns.js';
import { packetWhere, type Scenario } from './scenario.js';

/** Healthy: the echo reply reaches ping's socket in the client. */
export const pingDelivered: Scenario = {
  rule: 'delivered',
  verdict: 'delivered',
  hosts: ['local', 'vm612', 'vm510'],
  filter: (t) => `icmp and host ${t.serverAddr}`,
  traffic: async (t) => {
    const r = await ping(t, 2);
    if (r.received !== 2) throw new Error(`healthy ping lost replies: ${r.output}`);
  },
  pick: (t, doc) =>
    packetWhere(
      doc,
      (tu, p) =>
        tu.saddr === t.serverAddr &&
        tu.daddr === t.clientAddr &&
        p.parent === undefined &&
        (p.verdict?.kind ?? 'delivered') === 'delivered' &&
        p.hops.some((h) => h.function === 'skb_copy_datagram_iovec' || h.function === 'kfree_skb'),
    ),
  names: (t) => [t.client],
};
