import type { Facts } from '../facts.js';
import { listenersOn, processLabel } from '../listeners.js';
import type { DiagnosisRule } from '../rule.js';
import { hopEvidence, ifLabel, inNetns, nsLabel } from '../rule-kit.js';

const viaClone = (f: Facts) => (f.packet.verdict?.via_clone ? ' (via a clone)' : '');

export const tcpDelivered: DiagnosisRule = {
  id: 'tcp-delivered',
  title: 'healthy: delivered to a local TCP socket',
  verdicts: ['delivered'],
  needs: ['listeners'],
  explain: (f) => {
    if (f.key?.proto !== 6) return undefined;
    const s = f.packet.verdict?.socket;
    const l = f.ns ? listenersOn(f.ns.listeners, 'tcp', f.key.dport)[0] : undefined;
    const who = s?.process
      ? `process ${s.process}${s.pid ? ` (pid ${s.pid})` : ''}`
      : l
        ? processLabel(l)
        : undefined;
    return {
      summary: `delivered to the TCP socket on port ${f.key.dport}${who ? ` of ${who}` : ''} in ${nsLabel(f)}${viaClone(f)}`,
      advice: [
        `Nothing to fix. The socket and its queues: ${inNetns(f, `ss -tnp 'sport = :${f.key.dport}'`)}`,
      ],
      evidence: [
        ...hopEvidence(f),
        ...(l ? [{ kind: 'context' as const, text: `listener: ${l.text}` }] : []),
      ],
    };
  },
};

export const delivered: DiagnosisRule = {
  id: 'delivered',
  title: 'healthy: delivered to a local socket (raw, ping, UDP …)',
  verdicts: ['delivered'],
  needs: [],
  explain: (f) => {
    const s = f.packet.verdict?.socket;
    const kind = s ? `a ${s.kind} socket` : 'a local socket';
    const who = s?.process ? ` of process ${s.process}${s.pid ? ` (pid ${s.pid})` : ''}` : '';
    return {
      summary: `delivered to ${kind}${who} in ${nsLabel(f)}${viaClone(f)}`,
      advice: [`Nothing to fix. Sockets there: ${inNetns(f, 'ss -anp')}`],
      evidence: hopEvidence(f),
    };
  },
};

export const forwarded: DiagnosisRule = {
  id: 'forwarded',
  title: 'healthy: routed and sent out of an interface',
  verdicts: ['forwarded'],
  needs: ['links'],
  explain: (f) => {
    const out = f.packet.verdict?.egress?.ifname ?? ifLabel(f);
    return {
      summary: `forwarded by ${nsLabel(f)} out of ${out}${f.key ? ` towards ${f.key.daddr}` : ''}`,
      advice: [
        `Nothing to fix here. The route it took: ${inNetns(f, `ip route get ${f.key?.daddr ?? 'ADDRESS'}`)}`,
      ],
      evidence: hopEvidence(f),
    };
  },
};

export const sent: DiagnosisRule = {
  id: 'sent',
  title: 'healthy: originated here and sent out of an interface',
  verdicts: ['sent'],
  needs: ['links'],
  explain: (f) => {
    const out = f.packet.verdict?.egress?.ifname ?? ifLabel(f);
    return {
      summary: `sent by ${nsLabel(f)} out of ${out}${f.key ? ` to ${f.key.daddr}` : ''}`,
      advice: [
        `Nothing to fix here; if no answer comes, trace on the receiving host. Route: ${inNetns(f, `ip route get ${f.key?.daddr ?? 'ADDRESS'}`)}`,
      ],
      evidence: hopEvidence(f),
    };
  },
};

export const HEALTHY_RULES = [tcpDelivered, delivered, forwarded, sent];
