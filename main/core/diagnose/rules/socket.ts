import type { Facts } from '../facts.js';
import { listenersOn, processLabel } from '../listeners.js';
import type { DiagnosisRule } from '../rule.js';
import { answerEvidence, counterEvidence, hopEvidence, inNetns, nsLabel } from '../rule-kit.js';

const listening = (f: Facts, proto: string) =>
  f.ns && f.key ? listenersOn(f.ns.listeners, proto, f.key.dport) : [];

export const tcpClosedPort: DiagnosisRule = {
  id: 'tcp-closed-port',
  title: 'a TCP segment for a port nobody listens on; the kernel answered with a RST',
  verdicts: ['dropped'],
  reasons: ['NO_SOCKET'],
  functions: ['tcp_v4_rcv', 'tcp_v6_rcv', 'tcp_v4_send_reset'],
  needs: ['reason', 'listeners', 'answer'],
  explain: (f) => {
    if (f.key?.proto !== 6) return undefined;
    const rst = f.answers.find((a) => a.kind === 'tcp');
    return {
      summary: `no TCP socket listens on port ${f.key.dport} (${f.key.daddr}) in ${nsLabel(f)}${rst ? `: it answered with a RST (packet ${rst.packet})` : ''}`,
      advice: [
        `Start the service, or point the client at the right port/address; see what listens: ${inNetns(f, 'ss -ltnp')}`,
        'A service bound to 127.0.0.1 or another address does not accept connections to this one.',
      ],
      evidence: [
        ...hopEvidence(f),
        ...(f.ns
          ? [{ kind: 'context' as const, text: `no TCP listener on port ${f.key.dport} in ${nsLabel(f)}` }]
          : []),
        ...answerEvidence(f),
        ...counterEvidence(f, ['TcpOutRsts', 'TcpExtTCPAbortOnData']),
      ],
    };
  },
};

export const udpClosedPort: DiagnosisRule = {
  id: 'udp-closed-port',
  title: 'a UDP datagram for a port nobody listens on; ICMP port unreachable went back',
  verdicts: ['dropped'],
  reasons: ['NO_SOCKET'],
  functions: ['__udp4_lib_rcv', '__udp6_lib_rcv', 'udp_rcv'],
  needs: ['reason', 'listeners', 'answer'],
  explain: (f) => {
    if (f.key?.proto !== 17) return undefined;
    const told = f.answers.find((a) => a.icmpType === 3);
    return {
      summary: `no UDP socket on port ${f.key.dport} (${f.key.daddr}) in ${nsLabel(f)}${told ? `: ICMP port unreachable went back (packet ${told.packet})` : ''}`,
      advice: [`Start the service or fix the port; see what is bound: ${inNetns(f, 'ss -lunp')}`],
      evidence: [
        ...hopEvidence(f),
        ...(f.ns
          ? [{ kind: 'context' as const, text: `no UDP socket on port ${f.key.dport} in ${nsLabel(f)}` }]
          : []),
        ...answerEvidence(f),
        ...counterEvidence(f, ['UdpNoPorts']),
      ],
    };
  },
};

export const udpRcvbuf: DiagnosisRule = {
  id: 'udp-rcvbuf',
  title: "a socket's receive buffer was full: the application does not read fast enough",
  verdicts: ['dropped'],
  reasons: ['SOCKET_RCVBUFF'],
  functions: ['__udp_queue_rcv_skb', 'udp_queue_rcv_one_skb', 'sock_queue_rcv_skb_reason'],
  needs: ['reason', 'listeners', 'counters'],
  explain: (f) => {
    if (!f.key) return undefined;
    const proto = f.key.proto === 6 ? 'tcp' : 'udp';
    const who = listening(f, proto)[0];
    const sock = `the ${proto.toUpperCase()} socket on port ${f.key.dport}${who ? ` of ${processLabel(who)}` : ''}`;
    return {
      summary: `receive buffer of ${sock} in ${nsLabel(f)} is full: the application does not read as fast as datagrams arrive`,
      advice: [
        `Watch its queue and drops: ${inNetns(f, `ss -uamp 'sport = :${f.key.dport}'`)} (skmem rb = buffer size, d = drops)`,
        `Read faster (more threads, recvmmsg) or give it a larger SO_RCVBUF; the cap is net.core.rmem_max: ${inNetns(f, 'sysctl net.core.rmem_max net.core.rmem_default')}`,
      ],
      evidence: [
        ...hopEvidence(f),
        ...(who ? [{ kind: 'context' as const, text: `socket: ${who.text}` }] : []),
        ...counterEvidence(f, ['UdpRcvbufErrors', 'UdpInErrors']),
      ],
    };
  },
};

export const SOCKET_RULES = [tcpClosedPort, udpClosedPort, udpRcvbuf];
