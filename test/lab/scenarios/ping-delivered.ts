import { ping, type Topology } from '../netns.js';
import { packetWhere, type Scenario } from './scenario.js';

/** Two pings from the client that must both be answered (the healthy scenarios' traffic). */
export async function healthyPing(t: Topology): Promise<void> {
  const r = await ping(t, 2);
  if (r.received !== 2) throw new Error(`healthy ping lost replies: ${r.output}`);
}

/** The 5-tuple is the echo reply's: server to client. */
export const isReply = (t: Topology, tu: { saddr: string; daddr: string }) =>
  tu.saddr === t.serverAddr && tu.daddr === t.clientAddr;

/** Healthy: the echo reply reaches ping's socket in the client. */
export const pingDelivered: Scenario = {
  rule: 'delivered',
  verdict: 'delivered',
  hosts: ['local', 'vm612', 'vm510'],
  filter: (t) => `icmp and host ${t.serverAddr}`,
  traffic: healthyPing,
  pick: (t, doc) =>
    packetWhere(
      doc,
      (tu, p) =>
        isReply(t, tu) &&
        p.parent === undefined &&
        (p.verdict?.kind ?? 'delivered') === 'delivered' &&
        p.hops.some((h) => h.function === 'skb_copy_datagram_iovec' || h.function === 'kfree_skb'),
    ),
  // the process from the kernel: the task the copy to user space ran in (a hop's `task`)
  names: (t) => [t.client, 'of process ping (pid '],
};
