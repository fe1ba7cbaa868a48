import { ping } from '../netns.js';
import { inNs } from './helpers.js';
import { droppedFrom, type Scenario } from './scenario.js';

/** A netem qdisc with 100% loss on the client's interface (sch_netem: the VMs; this kernel lacks it). */
export const netemLoss: Scenario = {
  rule: 'qdisc-netem-loss',
  verdict: 'dropped',
  hosts: ['vm612'],
  filter: (t) => `icmp and host ${t.serverAddr}`,
  setup: (t) =>
    inNs(t, t.client, `tc qdisc add dev ${t.clientIf} root netem loss 100%`).then(() => undefined),
  traffic: async (t) => void (await ping(t, 1)),
  pick: (t, doc) => droppedFrom(doc, t.clientAddr, t.serverAddr, 1),
  names: (t) => ['netem', t.clientIf, t.client],
};
