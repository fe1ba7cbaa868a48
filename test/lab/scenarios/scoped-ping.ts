import { healthyPing, isReply } from './ping-delivered.js';
import { packetWhere, type Scenario } from './scenario.js';

/**
 * Healthy, but scoped to the client's interface on a kernel where only tracepoints attach: the echo reply's copy
 * for ping's socket has no interface, so the trace cannot see it; the original's NO_SOCKET free must not read as
 * a drop.
 */
export const scopedPing: Scenario = {
  rule: 'socket-copy-out-of-scope',
  verdict: 'unknown',
  hosts: ['local'],
  filter: (t) => `icmp and host ${t.serverAddr}`,
  args: (t) => ['--netns', t.client, '--interface', t.clientIf],
  traffic: healthyPing,
  pick: (t, doc) =>
    packetWhere(doc, (tu, p) => isReply(t, tu) && p.hops.some((h) => h.function === 'kfree_skb')),
  names: (t) => [t.client, t.clientIf, 'ping_rcv', 'NO_SOCKET'],
};
