import type { Facts } from '../facts.js';
import type { DiagnosisRule } from '../rule.js';
import { lookupRoute } from '../routes.js';
import {
  answerEvidence,
  hopEvidence,
  inNetns,
  isLocalDest,
  localAddresses,
  nsLabel,
  sysctl,
} from '../rule-kit.js';

// Where the input route lookup ends a packet: ip_error() (unreachable/prohibit/no route/not forwarding) or
// dst_discard (blackhole). 6.18 reports NOT_SPECIFIED, IP_INNOROUTES or IP_INADDRERRORS; < 5.17 nothing.
const ROUTE_REASONS = ['NOT_SPECIFIED', 'IP_INNOROUTES', 'IP_OUTNOROUTES', 'IP_INADDRERRORS'];
const ROUTE_FUNCTIONS = [
  'ip_error',
  'dst_discard',
  'ip_route_input_slow',
  'ip_route_input_noref',
  'ip_rcv_finish',
];

function routeFinding(f: Facts) {
  if (!f.ns || !f.key) return undefined;
  return lookupRoute(f.ns.routes, f.key.daddr);
}

const routeAdvice = (f: Facts) =>
  `Confirm the route the kernel picks: ${inNetns(f, `ip route get ${f.key?.daddr ?? 'ADDRESS'}`)}`;

export const blackholeRoute: DiagnosisRule = {
  id: 'blackhole-route',
  title: 'a blackhole route swallowed the packet (no ICMP error is sent)',
  verdicts: ['dropped'],
  reasons: ROUTE_REASONS,
  functions: ROUTE_FUNCTIONS,
  needs: ['routes'],
  explain: (f) => {
    const r = routeFinding(f);
    if (r?.type !== 'blackhole') return undefined;
    return {
      summary: `dropped by route \`${r.text}\` in ${nsLabel(f)}: a blackhole route discards silently, the sender gets no error`,
      advice: [
        routeAdvice(f),
        `If ${f.key?.daddr} should be reachable, remove it: ${inNetns(f, `ip route del ${r.text}`)}`,
      ],
      evidence: [...hopEvidence(f), { kind: 'context', text: `route in ${nsLabel(f)}: ${r.text}` }],
    };
  },
};

const ROUTE_WORDS: Record<string, string> = {
  unreachable: 'ICMP "host unreachable"',
  prohibit: 'ICMP "administratively prohibited"',
  throw: 'ICMP "net unreachable" (the lookup was thrown out of the table)',
};

export const unreachableRoute: DiagnosisRule = {
  id: 'unreachable-route',
  title: 'an unreachable/prohibit/throw route refused the packet and the sender was told',
  verdicts: ['dropped'],
  reasons: ROUTE_REASONS,
  functions: ROUTE_FUNCTIONS,
  needs: ['routes', 'answer'],
  explain: (f) => {
    const r = routeFinding(f);
    if (!r || !ROUTE_WORDS[r.type]) return undefined;
    const told = f.answers[0]
      ? `${ROUTE_WORDS[r.type]} went back to ${f.key?.saddr} (packet ${f.answers[0].packet})`
      : `${ROUTE_WORDS[r.type]} is sent back`;
    return {
      summary: `refused by route \`${r.text}\` in ${nsLabel(f)}: ${told}`,
      advice: [
        routeAdvice(f),
        `If ${f.key?.daddr} should be reachable, remove that route: ${inNetns(f, `ip route del ${r.text}`)}`,
      ],
      evidence: [
        ...hopEvidence(f),
        { kind: 'context', text: `route in ${nsLabel(f)}: ${r.text}` },
        ...answerEvidence(f),
      ],
    };
  },
};

export const forwardingDisabled: DiagnosisRule = {
  id: 'forwarding-disabled',
  title: 'a packet for another host reached a netns that does not forward (ip_forward = 0)',
  verdicts: ['dropped'],
  reasons: ROUTE_REASONS,
  functions: [...ROUTE_FUNCTIONS, 'ip_forward'],
  needs: ['sysctls', 'links'],
  explain: (f) => {
    const iff = f.ifname ? sysctl(f, `net.ipv4.conf.${f.ifname}.forwarding`) : undefined;
    const all = sysctl(f, 'net.ipv4.ip_forward');
    const fromHere = f.key !== undefined && localAddresses(f).includes(f.key.saddr);
    if (isLocalDest(f) !== false || fromHere || (all !== '0' && iff !== '0')) return undefined;
    const which = all === '0' ? 'net.ipv4.ip_forward = 0' : `net.ipv4.conf.${f.ifname ?? '?'}.forwarding = 0`;
    return {
      summary: `${nsLabel(f)} received a packet for ${f.key?.daddr}, not one of its addresses, but does not forward (${which})`,
      advice: [
        `If it is meant to route: ${inNetns(f, 'sysctl -w net.ipv4.ip_forward=1')} (and persist it in /etc/sysctl.d/).`,
        `Confirm: ${inNetns(f, 'sysctl net.ipv4.ip_forward net.ipv4.conf.all.forwarding')}`,
      ],
      evidence: [
        ...hopEvidence(f),
        { kind: 'context', text: `${which} in ${nsLabel(f)}` },
        ...answerEvidence(f),
      ],
    };
  },
};

export const noRoute: DiagnosisRule = {
  id: 'no-route',
  title: 'the netns has no route to the destination',
  verdicts: ['dropped'],
  reasons: ROUTE_REASONS,
  functions: ROUTE_FUNCTIONS,
  needs: ['routes', 'answer'],
  explain: (f) => {
    const noReason = f.reason === 'IP_INNOROUTES' || f.reason === 'IP_OUTNOROUTES';
    // without a reason (kernels < 5.17) the context's routes decide; NOT_SPECIFIED drops have other causes too
    const unrouted = f.reason === undefined && f.ns !== undefined && routeFinding(f) === undefined;
    if (!f.key || (!noReason && !unrouted)) return undefined;
    const told = f.answers[0]
      ? `; ICMP "net unreachable" went back to ${f.key.saddr} (packet ${f.answers[0].packet})`
      : '';
    return {
      summary: `${nsLabel(f)} has no route to ${f.key.daddr}${told}`,
      advice: [
        routeAdvice(f),
        `Add a route (or a default route) towards ${f.key.daddr}: ${inNetns(f, `ip route add ${f.key.daddr}/32 via NEXT_HOP`)}`,
      ],
      evidence: [
        ...hopEvidence(f),
        ...(f.ns
          ? [
              {
                kind: 'context' as const,
                text: `no route in ${nsLabel(f)} (tables local and main) covers ${f.key.daddr}`,
              },
            ]
          : []),
        ...answerEvidence(f),
      ],
    };
  },
};

export const ROUTING_RULES = [blackholeRoute, unreachableRoute, forwardingDisabled, noRoute];
