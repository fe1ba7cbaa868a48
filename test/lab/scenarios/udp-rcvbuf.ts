import { sh } from '../exec.js';
import { py, tryInNs } from './helpers.js';
import { droppedFrom, type Scenario } from './scenario.js';

const PORT = 5001;

/** A UDP socket with the smallest receive buffer that never reads: a burst overflows it. */
export const udpRcvbuf: Scenario = {
  rule: 'udp-rcvbuf',
  verdict: 'dropped',
  hosts: ['local'],
  tools: ['/usr/bin/python3'],
  filter: (t) => `udp and dst host ${t.serverAddr} and dst port ${PORT}`,
  setup: async (t) => {
    const log = `/tmp/pktpath-udp-sink-${t.id}`;
    // started before the trace, so the listener is in the host context's socket list
    await sh(
      t.shell,
      `ip netns exec ${t.server} ${py('udp_sink.py', String(PORT))} >${log} 2>&1 &
       for i in $(seq 1 50); do grep -q ready ${log} && exit 0; sleep 0.1; done; cat ${log}; exit 1`,
    );
  },
  traffic: async (t) =>
    void (await tryInNs(t, t.client, py('udp_flood.py', t.serverAddr, String(PORT), '50'))),
  pick: (t, doc) => droppedFrom(doc, t.clientAddr, t.serverAddr, 17),
  names: (t) => [`port ${PORT}`, 'python3', t.server],
};
