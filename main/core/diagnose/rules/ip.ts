import type { Facts } from '../facts.js';
import type { DiagnosisRule } from '../rule.js';
import { lookupRoute } from '../routes.js';
import {
  answerEvidence,
  counterEvidence,
  hopEvidence,
  ifLabel,
  inNetns,
  nsLabel,
  sysctl,
} from '../rule-kit.js';

/** Effective rp_filter of an interface: the larger of `all` and the interface's own (kernel semantics). */
function rpFilter(f: Facts): { value: number; names: string[] } | undefined {
  const all = sysctl(f, 'net.ipv4.conf.all.rp_filter');
  const own = f.ifname ? sysctl(f, `net.ipv4.conf.${f.ifname}.rp_filter`) : undefined;
  if (all === undefined && own === undefined) return undefined;
  const value = Math.max(Number(all ?? 0), Number(own ?? 0));
  const names = [
    `net.ipv4.conf.all.rp_filter = ${all ?? '?'}`,
    ...(own !== undefined ? [`net.ipv4.conf.${f.ifname}.rp_filter = ${own}`] : []),
  ];
  return { value, names };
}

export const rpFilterDrop: DiagnosisRule = {
  id: 'rp-filter',
  title: 'reverse-path filtering dropped a packet whose source is routed back another way',
  verdicts: ['dropped'],
  reasons: ['IP_RPFILTER'],
  functions: ['fib_validate_source', '__fib_validate_source'],
  needs: ['reason', 'sysctls', 'routes'],
  explain: (f) => {
    if (!f.key) return undefined;
    const rp = rpFilter(f);
    const back = f.ns ? lookupRoute(f.ns.routes, f.key.saddr) : undefined;
    const mode = rp ? (rp.value === 1 ? 'strict ' : rp.value === 2 ? 'loose ' : '') : '';
    const way = back
      ? `: the route back to ${f.key.saddr} is \`${back.text}\`${back.dev && back.dev !== f.ifname ? ` (via ${back.dev}, not ${ifLabel(f)})` : ''}`
      : '';
    return {
      summary: `${mode}reverse-path filter (rp_filter) of ${nsLabel(f)} dropped a packet from ${f.key.saddr} that arrived on ${ifLabel(f)}${way}`,
      advice: [
        `If the asymmetric path is intended, use loose mode on that interface: ${inNetns(f, `sysctl -w net.ipv4.conf.${f.ifname ?? 'IFACE'}.rp_filter=2`)} (and net.ipv4.conf.all.rp_filter, the larger value wins); else route ${f.key.saddr} back through ${ifLabel(f)}.`,
        `Confirm: ${inNetns(f, `ip route get ${f.key.saddr} from ${f.key.daddr} iif ${f.ifname ?? 'IFACE'}`)} fails with "Invalid cross-device link"`,
      ],
      evidence: [
        ...hopEvidence(f),
        ...(rp ? [{ kind: 'context' as const, text: `${rp.names.join(', ')} in ${nsLabel(f)}` }] : []),
        ...(back ? [{ kind: 'context' as const, text: `route back to ${f.key.saddr}: ${back.text}` }] : []),
        ...counterEvidence(f, ['TcpExtIPReversePathFilter']),
      ],
    };
  },
};

export const martianSource: DiagnosisRule = {
  id: 'martian-source',
  title: 'a packet with an impossible source address (loopback, zero, multicast) was dropped',
  verdicts: ['dropped'],
  // IP_LOCALNET: a loopback source where route_localnet is off (6.x reports it apart)
  reasons: ['IP_INVALID_SOURCE', 'IP_LOCALNET'],
  functions: ['ip_route_input_slow', 'ip_handle_martian_source'],
  needs: ['reason'],
  explain: (f) => {
    if (!f.key) return undefined;
    return {
      summary: `martian source ${f.key.saddr} on ${ifLabel(f)} in ${nsLabel(f)}: a packet from that address cannot arrive from outside, the kernel drops it`,
      advice: [
        `Find the sender that forges or leaks ${f.key.saddr} (a missing SNAT/masquerade, a misconfigured tunnel); see them logged: ${inNetns(f, `sysctl -w net.ipv4.conf.${f.ifname ?? 'all'}.log_martians=1`)} then \`dmesg | grep martian\``,
        `For 127.0.0.0/8 on purpose, net.ipv4.conf.${f.ifname ?? 'IFACE'}.route_localnet=1 allows it.`,
      ],
      evidence: hopEvidence(f),
    };
  },
};

export const ttlExceeded: DiagnosisRule = {
  id: 'ttl-exceeded',
  title: 'the TTL ran out while forwarding; ICMP time exceeded went back',
  verdicts: ['dropped'],
  reasons: ['IP_INHDR'],
  functions: ['ip_forward'],
  needs: ['reason', 'answer'],
  explain: (f) => {
    const told = f.answers.find((a) => a.icmpType === 11);
    if (!f.key || (!told && f.reason !== 'IP_INHDR')) return undefined;
    return {
      summary: told
        ? `TTL expired in ${nsLabel(f)} while forwarding to ${f.key.daddr}: ICMP time exceeded went back to ${f.key.saddr} (packet ${told.packet})`
        : `TTL expired (or the IP header was bad) in ${nsLabel(f)} while forwarding to ${f.key.daddr}`,
      advice: [
        `The sender's TTL is too small for the path, or packets loop: compare the hop count (\`traceroute -n ${f.key.daddr}\`) with the sender's TTL (net.ipv4.ip_default_ttl, the application's IP_TTL).`,
        `A routing loop shows the same packet crossing the same netns again: ${inNetns(f, `ip route get ${f.key.daddr}`)}`,
      ],
      evidence: [
        ...hopEvidence(f),
        ...answerEvidence(f),
        ...counterEvidence(f, ['IpInHdrErrors', 'IcmpOutTimeExcds']),
      ],
    };
  },
};

export const fragNeeded: DiagnosisRule = {
  id: 'frag-needed',
  title: 'a DF packet larger than the next hop MTU; ICMP fragmentation needed went back',
  verdicts: ['dropped'],
  reasons: ['PKT_TOO_BIG'],
  functions: ['ip_forward', 'ip_fragment', 'ip_finish_output_gso'],
  needs: ['reason', 'routes', 'links', 'answer'],
  explain: (f) => {
    const told = f.answers.find((a) => a.icmpType === 3 && a.icmpCode === 4);
    if (!f.key || (!told && f.reason !== 'PKT_TOO_BIG')) return undefined;
    const route = f.ns ? lookupRoute(f.ns.routes, f.key.daddr) : undefined;
    const out = f.ns?.links.find((l) => l.ifname === route?.dev);
    const len = f.hop !== undefined ? f.packet.hops[f.hop]?.len : undefined;
    const next = out ? `the MTU ${out.mtu ?? '?'} of ${out.ifname}` : "the next hop's MTU";
    return {
      summary: `a ${len ?? '?'}-byte packet with DF set is larger than ${next.replace('the MTU', 'MTU')} (route to ${f.key.daddr} in ${nsLabel(f)})${told ? `: ICMP fragmentation needed went back (packet ${told.packet})` : ''}`,
      advice: [
        `Path MTU discovery needs that ICMP to reach ${f.key.saddr}: check no firewall drops ICMP type 3 code 4 on the way back.`,
        `Or match the MTUs / clamp TCP MSS: ${inNetns(f, `ip link show ${out?.ifname ?? 'IFACE'}`)}; \`nft add rule inet filter forward tcp flags syn tcp option maxseg size set rt mtu\``,
      ],
      evidence: [
        ...hopEvidence(f),
        ...(out
          ? [
              {
                kind: 'context' as const,
                text: `${out.ifname} mtu ${out.mtu ?? '?'} in ${nsLabel(f)} (route \`${route?.text ?? '?'}\`)`,
              },
            ]
          : []),
        ...answerEvidence(f),
      ],
    };
  },
};

export const IP_RULES = [rpFilterDrop, martianSource, ttlExceeded, fragNeeded];
