import { sh } from '../exec.js';
import { ping } from '../netns.js';
import { inNs } from './helpers.js';
import { droppedFrom, type Scenario } from './scenario.js';

/**
 * The server's end of the veth is down. The client knows the server's MAC (a permanent neighbour), so the packet
 * is sent at once and dies at the link, not in ARP.
 */
export const linkDown: Scenario = {
  rule: 'link-down',
  verdict: 'dropped',
  hosts: ['local'],
  filter: (t) => `icmp and host ${t.serverAddr}`,
  setup: async (t) => {
    const mac = (await inNs(t, t.server, `cat /sys/class/net/${t.serverIf}/address`)).trim();
    await inNs(t, t.client, `ip neigh replace ${t.serverAddr} lladdr ${mac} dev ${t.clientIf} nud permanent`);
    await inNs(t, t.server, `ip link set ${t.serverIf} down`);
    // the client's end loses carrier at once but shows it in its operstate only after linkwatch ran (≤ 1 s): wait,
    // so the capture at start sees the settled state (the unsettled one is a unit case of the rule)
    await sh(
      t.shell,
      `i=0; while ip -n ${t.client} -o link show dev ${t.clientIf} | grep -q 'state UP'; do i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.05; done`,
    );
  },
  traffic: async (t) => void (await ping(t, 1)),
  pick: (t, doc) => droppedFrom(doc, t.clientAddr, t.serverAddr, 1),
  // the client's end is what the packet met: DOWN for want of carrier (the server's netns is not on the path)
  names: (t) => [t.clientIf, 'DOWN', 'peer', t.client],
};
