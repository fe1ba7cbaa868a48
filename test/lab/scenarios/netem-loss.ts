import { ping } from '../netns.js';
import { inNs } from './helpers.js';
import { droppedFrom, type Scenario } from './scenario.js';

/**
 * A netem qdisc with 100% loss on the client's interface (sch_netem: the VMs; this kernel lacks it). The client
 * knows the server's MAC (a permanent neighbour): netem would drop the ARP request too, and the ping would then
 * die waiting for a neighbour, not at the qdisc.
 */
export const netemLoss: Scenario = {
  rule: 'qdisc-netem-loss',
  verdict: 'dropped',
  hosts: ['vm612'],
  filter: (t) => `icmp and host ${t.serverAddr}`,
  setup: async (t) => {
    const mac = (await inNs(t, t.server, `cat /sys/class/net/${t.serverIf}/address`)).trim();
    await inNs(t, t.client, `ip neigh replace ${t.serverAddr} lladdr ${mac} dev ${t.clientIf} nud permanent`);
    await inNs(t, t.client, `tc qdisc add dev ${t.clientIf} root netem loss 100%`);
  },
  traffic: async (t) => void (await ping(t, 1)),
  pick: (t, doc) => droppedFrom(doc, t.clientAddr, t.serverAddr, 1),
  names: (t) => ['netem', t.clientIf, t.client, '(loss 100%)'],
};
