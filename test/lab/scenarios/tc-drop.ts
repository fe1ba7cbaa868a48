import { resolve } from 'node:path';
import { ping } from '../netns.js';
import { inNs } from './helpers.js';
import { droppedFrom, type Scenario } from './scenario.js';

/** A tc ingress filter on the server's interface whose action drops ICMP (test/lab/scenarios/bpf/tc_drop_icmp.c, direct action). */
export const tcDrop: Scenario = {
  rule: 'tc-drop',
  verdict: 'dropped',
  hosts: ['local'],
  tools: ['clang', 'tc'],
  filter: (t) => `icmp and host ${t.serverAddr}`,
  setup: async (t) => {
    const obj = `/tmp/pktpath-tc-drop-${t.id}.o`;
    const src = resolve('test/lab/scenarios/bpf/tc_drop_icmp.c');
    await t
      .shell(`clang -O2 -target bpf -I/usr/include/$(uname -m)-linux-gnu -c ${src} -o ${obj}`)
      .then((r) => {
        if (r.code !== 0) throw new Error(`clang: ${r.stderr}`);
      });
    await inNs(t, t.server, `tc qdisc add dev ${t.serverIf} clsact`);
    await inNs(t, t.server, `tc filter add dev ${t.serverIf} ingress bpf da obj ${obj} sec tc`);
  },
  traffic: async (t) => void (await ping(t, 1)),
  pick: (t, doc) => droppedFrom(doc, t.clientAddr, t.serverAddr, 1),
  // the filter as tc lists it (host context): its pref and the program's name
  names: (t) => ['ingress', t.serverIf, t.server, 'pref 49152 bpf handle 0x1', 'name drop_icmp'],
};
