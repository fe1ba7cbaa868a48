import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostContext } from '../../../main/api/explain.js';
import type { PacketPath } from '../../../main/api/trace.js';
import { parseLinks } from '../../../main/core/context/parse-sections.js';
import { diagnosePackets } from '../../../main/core/diagnose/explain-run.js';
import { SessionStore } from '../../../main/core/sessions/session-store.js';

// The rules no lab scenario of this kernel produces (netem needs a VM; the fallbacks), on recorded traces changed
// in the one way that makes them apply, and what a diagnosis says when the host context is missing.
const REASONS = { reasonsKnown: true };
interface Fixture {
  packet: number;
  names: string[];
  context: HostContext;
  doc: { packets: PacketPath[] };
}
const load = (name: string) =>
  JSON.parse(readFileSync(`test/unit/fixtures/diagnose/${name}.json`, 'utf8')) as Fixture;
const bare = (p: PacketPath): PacketPath => {
  const { diagnosis: _d, verdict: _v, drop: _p, ...rest } = p;
  return rest;
};
function diagnosisOf(fx: Fixture, context: HostContext | undefined = fx.context) {
  const out = [...diagnosePackets(fx.doc.packets.map(bare), context, REASONS)];
  return out.find((p) => p.id === fx.packet)!.diagnosis!;
}
/** The fixture's context with every link named `ifname` changed. */
function withLink(fx: Fixture, ifname: string, change: object): HostContext {
  const c = structuredClone(fx.context);
  for (const snap of [c.start, c.end])
    for (const ns of snap?.namespaces ?? [])
      ns.links = ns.links.map((l) => (l.ifname === ifname ? { ...l, ...change } : l));
  return c;
}

describe('rules without a scenario on this kernel', () => {
  const down = load('link-down');
  const dev = down.doc.packets.find((p) => p.id === down.packet)!.hops.at(-1)!.ifname!;

  it('link-down: a veth still UP but without carrier (linkwatch has not caught up) is down for the packet', () => {
    // what `ip -j -d addr` prints in the second after the peer went down: UP flags and operstate, NO-CARRIER
    const [l] = parseLinks(
      JSON.stringify([
        { ifindex: 3, ifname: dev, flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'], operstate: 'UP' },
      ]),
    );
    expect(l).toMatchObject({ state: 'UP', carrier: false });
    const d = diagnosisOf(down, withLink(down, dev, { state: 'UP', carrier: false }));
    expect(d.rule).toBe('link-down');
    expect(d.summary).toContain(`${dev} in netns ${down.names[3]} is UP, NO-CARRIER`);
    expect(diagnosisOf(down, withLink(down, dev, { state: 'UP', carrier: true })).rule).not.toBe('link-down');
  });

  it('qdisc-netem-loss: the QDISC_DROP happened on a link whose qdisc is netem', () => {
    const d = diagnosisOf(down, withLink(down, dev, { state: 'UP', qdisc: 'netem' }));
    expect(d.rule).toBe('qdisc-netem-loss');
    expect(d.summary).toContain(`the netem qdisc on ${dev}`);
    expect(d.advice.join(' ')).toContain(`tc -s qdisc show dev ${dev}`);
    expect(d.missing?.join(' ')).toContain('the tc qdiscs and filters');
  });

  it('qdisc-netem-loss with the tc section: the loss setting in words, the qdisc and its drops as evidence', () => {
    // what vm612's tc printed for a netem qdisc (`tc -s qdisc show`, capture-script.ts)
    const tc = `qdisc netem 8001: dev ${dev} root refcnt 2 limit 1000 loss 100%\n Sent 0 bytes 0 pkt (dropped 3, overlimits 0 requeues 0) \n backlog 0b 0p requeues 0`;
    const c = withLink(down, dev, { state: 'UP', qdisc: 'netem' });
    for (const ns of c.start?.namespaces ?? []) if (ns.links.some((l) => l.ifname === dev)) ns.tc = tc;
    const d = diagnosisOf(down, c);
    expect(d.summary).toContain('emulated loss (loss 100%)');
    expect(d.evidence).toContainEqual({
      kind: 'context',
      text: `qdisc netem 8001: dev ${dev} root refcnt 2 limit 1000 loss 100% — Sent 0 bytes 0 pkt (dropped 3, overlimits 0 requeues 0)`,
    });
    expect(d.missing).toBeUndefined();
  });

  it('qdisc-drop: a QDISC_DROP on a link that is up, without netem', () => {
    const d = diagnosisOf(down, withLink(down, dev, { state: 'UP', qdisc: 'pfifo_fast' }));
    expect(d.rule).toBe('qdisc-drop');
    expect(d.summary).toContain(`the qdisc of ${dev}`);
  });

  it('netfilter-drop: NETFILTER_DROP without the ruleset says so and what would supply it', () => {
    const nft = load('nft-drop');
    const d = diagnosisOf(nft, { version: 1 });
    expect(d.rule).toBe('netfilter-drop');
    expect(d.missing!.join(' ')).toContain('host context');
    expect(d.advice.join(' ')).toContain('nft -a list ruleset');
  });

  it('dropped-unexplained: a reason no rule knows still gets the place and advice', () => {
    const nft = load('nft-drop');
    const fx = structuredClone(nft);
    for (const p of fx.doc.packets) {
      if (p.drop_reason !== 'NETFILTER_DROP') continue;
      p.drop_reason = 'SKB_UCOPY_FAULT';
      for (const h of p.hops) {
        if (h.drop_reason) h.drop_reason = 'SKB_UCOPY_FAULT';
        delete h.location; // nf_hook_slow+0x…: netfilter's own drop point would still name the rule
      }
    }
    const d = diagnosisOf(fx);
    expect(d.rule).toBe('dropped-unexplained');
    expect(d.summary).toMatch(/reason SKB_UCOPY_FAULT on \S+ in netns pps-/);
  });

  it('sent: built in a netns and left through its interface (the trace ended before the far side)', () => {
    const fwd = load('forwarded');
    const fx = structuredClone(fwd);
    const p = fx.doc.packets.find((x) => x.id === fx.packet)!;
    // only the client's part: it originated and left there
    p.hops = p.hops
      .slice(0, 2)
      .concat({ ...p.hops[1]!, function: 'net_dev_xmit' }, { ...p.hops[1]!, function: 'consume_skb' });
    const d = diagnosisOf(fx);
    expect(d.rule).toBe('sent');
    expect(d.summary).toMatch(/^sent by netns ppc-\S+ out of ppc/);
  });
});

describe('sessions.packet', () => {
  it('returns a saved packet with its verdict and diagnosis, the answer found among its neighbours', () => {
    const home = mkdtempSync(join(tmpdir(), 'pktpath-diagnose-session-'));
    try {
      const fx = load('prohibit-route');
      const store = new SessionStore(home);
      const s = store.create({
        title: 'prohibit',
        runs: [
          {
            id: 'run-1',
            host: 'local',
            spec: { host: 'local', filter: 'icmp' },
            mode: 'tracepoint',
            startedAt: '2026-11-30T10:00:00.000Z',
            kernelRelease: '6.18.44',
            context: fx.context,
            packets: fx.doc.packets.map(bare),
          },
        ],
      });
      const p = store.packet(s.id, undefined, fx.packet);
      expect(p.verdict?.kind).toBe('dropped');
      expect(p.diagnosis).toMatchObject({ rule: 'unreachable-route' });
      expect(p.diagnosis!.summary).toMatch(
        /refused by route `prohibit \S+` in netns ppr-\S+: ICMP "administratively prohibited" went back to \S+ \(packet \d+\)/,
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
