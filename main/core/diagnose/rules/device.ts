import type { ContextLink } from '../../../api/explain.js';
import type { Facts } from '../facts.js';
import type { DiagnosisRule } from '../rule.js';
import { tcFilterBrief, tcFilters, tcQdiscs } from '../../context/tc-text.js';
import { lookupRoute } from '../routes.js';
import { hopEvidence, ifLabel, inNetns, nsLabel } from '../rule-kit.js';

const link = (f: Facts): ContextLink | undefined => f.ns?.links.find((l) => l.ifindex === f.ifindex);

/** The next hop and device for the packet's destination, from the netns's routes. */
function nextHop(f: Facts) {
  const r = f.ns && f.key ? lookupRoute(f.ns.routes, f.key.daddr) : undefined;
  return { via: r?.via ?? f.key?.daddr, dev: r?.dev ?? f.ifname, route: r };
}

export const neighFailed: DiagnosisRule = {
  id: 'neigh-failed',
  title: 'the next hop never answered ARP/ND: the packets waiting for it were dropped',
  verdicts: ['dropped', 'unknown'],
  reasons: ['NEIGH_FAILED', 'NEIGH_QUEUEFULL', 'NEIGH_DEAD', 'NEIGH_CREATEFAIL'],
  functions: ['neigh_invalidate', '__neigh_event_send', 'neigh_resolve_output'],
  needs: ['reason', 'routes', 'neighbours'],
  explain: (f) => {
    const { via, dev } = nextHop(f);
    if (!via) return undefined;
    const entry = f.ns?.neighbours.find((n) => n.startsWith(`${via} `));
    const full = f.reason === 'NEIGH_QUEUEFULL';
    return {
      summary: `no ARP answer from ${via} on ${dev ?? ifLabel(f)} in ${nsLabel(f)}: ${full ? 'the queue of packets waiting for it overflowed' : 'the neighbour entry failed and the packet waiting for it was dropped'}`,
      advice: [
        `Is ${via} up and on that link (same subnet, VLAN, cable)? ${inNetns(f, `ip neigh show ${via}`)} shows FAILED/INCOMPLETE while it does not answer.`,
        `Watch the ARP requests go out unanswered: ${inNetns(f, `tcpdump -ni ${dev ?? 'IFACE'} arp and host ${via}`)}`,
      ],
      evidence: [
        ...hopEvidence(f),
        ...(entry ? [{ kind: 'context' as const, text: `neighbour: ${entry}` }] : []),
      ],
    };
  },
};

export const tcDrop: DiagnosisRule = {
  id: 'tc-drop',
  title: 'a tc filter (classifier/action, BPF program) dropped the packet',
  verdicts: ['dropped'],
  reasons: ['TC_INGRESS', 'TC_EGRESS', 'TC_DROP', 'TC_CHAIN_NOTFOUND', 'TC_RECLASSIFY_LOOP'],
  functions: ['tcf_classify', 'tc_run', 'sch_handle_ingress', 'sch_handle_egress', 'tcx_run'],
  needs: ['reason', 'tc'],
  explain: (f) => {
    const dir = f.reason === 'TC_EGRESS' ? 'egress' : f.reason === 'TC_INGRESS' ? 'ingress' : undefined;
    const iface = ifLabel(f);
    const filters = f.ifname ? tcFilters(f.ns?.tc, f.ifname, dir ?? 'both') : [];
    const named = filters.filter((l) => l.startsWith('filter ')).map(tcFilterBrief);
    const only = named.length === 1 ? named[0] : undefined;
    const pref = only && /\bpref (\d+)/.exec(only)?.[1];
    return {
      summary: `a tc ${dir ?? 'ingress or egress'} filter on ${iface} in ${nsLabel(f)} dropped it (its action is drop / TC_ACT_SHOT)${only ? `: \`${only}\`` : named.length > 1 ? `; ${named.length} filters there` : ''}`,
      advice: [
        `List the filters with their counters: ${inNetns(f, `tc -s filter show dev ${f.ifname ?? 'IFACE'} ${dir ?? 'ingress'}`)}; BPF programs attached there: ${inNetns(f, `bpftool net show dev ${f.ifname ?? 'IFACE'}`)}`,
        `Remove or fix the filter that matches this packet: ${inNetns(f, `tc filter del dev ${f.ifname ?? 'IFACE'} ${dir ?? 'ingress'} pref ${pref ?? 'N'}`)}${pref ? '' : ' (N: its `pref`)'}`,
      ],
      evidence: [
        ...hopEvidence(f),
        ...filters.map((l) => ({
          kind: 'context' as const,
          text: `tc ${dir ?? ''} on ${f.ifname}: ${l}`.replace('  ', ' '),
        })),
      ],
    };
  },
};

const QDISC_REASONS = [
  'QDISC_DROP',
  'QDISC_OVERLIMIT',
  'QDISC_CONGESTED',
  'QDISC_MAXFLOWS',
  'TC_EGRESS',
  'DEV_READY',
];
const linkDownState = (l: ContextLink | undefined) =>
  l !== undefined &&
  (l.carrier === false || (l.state !== undefined && l.state !== 'UP' && l.state !== 'UNKNOWN'));
/** The link's state in words: its operstate, and NO-CARRIER where the carrier is off (the operstate may lag). */
const linkStateText = (l: ContextLink) =>
  [l.state, l.carrier === false && 'NO-CARRIER'].filter(Boolean).join(', ') || 'down';

export const linkDown: DiagnosisRule = {
  id: 'link-down',
  title: 'the interface (or its peer) is down: the packet could not be sent',
  verdicts: ['dropped'],
  reasons: [...QDISC_REASONS, 'NOT_SPECIFIED'],
  functions: ['dev_queue_xmit', '__dev_queue_xmit', 'veth_xmit', 'noop_enqueue'],
  needs: ['reason', 'links'],
  explain: (f) => {
    const l = link(f);
    if (!l || !linkDownState(l)) return undefined;
    const peer = peerDown(f, l);
    return {
      summary: `${l.ifname} in ${nsLabel(f)} is ${linkStateText(l)}${peer ? ` (its peer ${peer.ifname} in netns ${peer.ns} is down)` : l.kind === 'veth' ? ` (a veth has no carrier while its peer ${l.link ?? ''} is down)` : ''}: a packet sent through it is dropped`,
      advice: [
        peer
          ? `Bring the peer up: ip netns exec ${peer.ns} ip link set ${peer.ifname} up`
          : l.kind === 'veth'
            ? `Bring both ends up: ${inNetns(f, `ip link set ${l.ifname} up`)}, and its peer (${inNetns(f, `ip -d link show ${l.ifname}`)} names it) in the netns that holds it`
            : `Bring it up / fix the carrier: ${inNetns(f, `ip link set ${l.ifname} up`)}`,
        `Confirm: ${inNetns(f, `ip -d link show ${l.ifname}`)} shows state UP and no NO-CARRIER`,
      ],
      evidence: [
        ...hopEvidence(f),
        { kind: 'context', text: `${l.ifname} state ${linkStateText(l)} in ${nsLabel(f)}` },
        ...(peer
          ? [{ kind: 'context' as const, text: `${peer.ifname} state ${peer.state} in netns ${peer.ns}` }]
          : []),
      ],
    };
  },
};

/**
 * For a veth whose carrier is off: the one down veth elsewhere in the context that names this one as its peer
 * (`link` is `ifN nsid M` across namespaces; nsids are per netns, so the pair is matched both ways).
 */
function peerDown(f: Facts, l: ContextLink): { ifname: string; ns: string; state: string } | undefined {
  const peerIndex = (x: ContextLink) => /^if(\d+)/.exec(x.link ?? '')?.[1];
  const found = new Map<string, { ifname: string; ns: string; state: string }>();
  for (const snap of [f.context?.start, f.context?.end])
    for (const ns of snap?.namespaces ?? [])
      for (const o of ns.links)
        if (ns.netns !== f.netns && o.state === 'DOWN' && o.kind === 'veth')
          if (peerIndex(o) === String(l.ifindex) && peerIndex(l) === String(o.ifindex))
            found.set(`${ns.netns}/${o.ifindex}`, { ifname: o.ifname, ns: ns.name, state: o.state });
  return found.size === 1 ? [...found.values()][0] : undefined;
}

export const netemLoss: DiagnosisRule = {
  id: 'qdisc-netem-loss',
  title: 'a netem qdisc dropped the packet on purpose (emulated loss)',
  verdicts: ['dropped'],
  reasons: QDISC_REASONS,
  functions: ['netem_enqueue'],
  needs: ['reason', 'links', 'tc'],
  explain: (f) => {
    const l = link(f);
    if (!f.dropFunction?.startsWith('netem') && l?.qdisc !== 'netem') return undefined;
    const netem = f.ifname
      ? tcQdiscs(f.ns?.tc, f.ifname).find((q) => q.startsWith('qdisc netem '))
      : undefined;
    const loss = netem && /\bloss (?:random )?(\S+)/.exec(netem)?.[1];
    return {
      summary: `the netem qdisc on ${ifLabel(f)} in ${nsLabel(f)} dropped it: emulated loss${loss ? ` (loss ${loss})` : ''}`,
      advice: [
        `See its loss setting and drop counter: ${inNetns(f, `tc -s qdisc show dev ${f.ifname ?? 'IFACE'}`)}`,
        `Remove it when the test is over: ${inNetns(f, `tc qdisc del dev ${f.ifname ?? 'IFACE'} root`)}`,
      ],
      evidence: [...hopEvidence(f), ...qdiscEvidence(f, l)],
    };
  },
};

export const qdiscDrop: DiagnosisRule = {
  id: 'qdisc-drop',
  title: "the interface's queue discipline dropped the packet (queue full or over its limit)",
  verdicts: ['dropped'],
  reasons: QDISC_REASONS,
  functions: ['qdisc_drop', 'pfifo_fast_enqueue', 'fq_codel_enqueue', 'htb_enqueue', 'tbf_enqueue'],
  needs: ['reason', 'links', 'tc'],
  explain: (f) => ({
    summary: `the qdisc of ${ifLabel(f)} in ${nsLabel(f)} dropped it (${f.reason ?? 'queue full'})`,
    advice: [
      `See the qdisc, its backlog and drops: ${inNetns(f, `tc -s qdisc show dev ${f.ifname ?? 'IFACE'}`)}`,
      'A full queue means the link is slower than the traffic (shaping, a slow peer): raise the limit or slow the sender.',
    ],
    evidence: [...hopEvidence(f), ...qdiscEvidence(f, link(f))],
  }),
};

/** The device's qdiscs with their drop counters as tc printed them, else the root qdisc's kind from `ip`. */
function qdiscEvidence(f: Facts, l: ContextLink | undefined) {
  const lines = f.ifname ? tcQdiscs(f.ns?.tc, f.ifname) : [];
  if (lines.length) return lines.map((q) => ({ kind: 'context' as const, text: q }));
  return l?.qdisc ? [{ kind: 'context' as const, text: `${l.ifname} qdisc ${l.qdisc}` }] : [];
}

export const DEVICE_RULES = [neighFailed, tcDrop, linkDown, netemLoss, qdiscDrop];
