import { inNs, routerOf, routerSide, tryInNs } from './helpers.js';
import { droppedFrom, type Scenario } from './scenario.js';

const asymmetricSource = (n: string) => `10.234.${n}.1`;

/**
 * Strict reverse-path filtering on the router: the client sends from an address the router routes back through the
 * server side, so the packet arrived on the "wrong" interface.
 */
export const rpFilter: Scenario = {
  rule: 'rp-filter',
  verdict: 'dropped',
  routed: true,
  hosts: ['local'],
  filter: (t) => `icmp and host ${t.serverAddr}`,
  setup: async (t) => {
    const r = routerSide(t);
    // the client learns the router's MAC first: with the odd source, the router would not answer its ARP either
    await inNs(t, t.client, `ping -n -c 1 -W 1 ${r.clientSideAddr}`);
    await inNs(t, t.client, `ip addr add ${asymmetricSource(r.n)}/32 dev ${t.clientIf}`);
    await inNs(t, r.router, `ip route add 10.234.${r.n}.0/24 via ${t.serverAddr}`);
    for (const conf of ['all', r.clientSideIf])
      await inNs(t, r.router, `sh -c 'echo 1 > /proc/sys/net/ipv4/conf/${conf}/rp_filter'`);
  },
  traffic: async (t) =>
    void (await tryInNs(
      t,
      t.client,
      `ping -n -c 1 -W 1 -I ${asymmetricSource(routerSide(t).n)} ${t.serverAddr}`,
    )),
  pick: (t, doc) => droppedFrom(doc, asymmetricSource(routerSide(t).n), t.serverAddr, 1),
  names: (t) => [asymmetricSource(routerSide(t).n), 'rp_filter', routerSide(t).clientSideIf, routerOf(t)],
};
