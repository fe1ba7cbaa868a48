import { symbolOf } from '../../explain/drop-point.js';
import type { Facts } from '../facts.js';
import type { DiagnosisRule, Finding } from '../rule.js';
import { hopEvidence, ifLabel, inNetns, nsLabel } from '../rule-kit.js';

export const droppedElsewhere: DiagnosisRule = {
  id: 'dropped-unexplained',
  title: 'dropped where no rule of the library recognises the cause',
  verdicts: ['dropped'],
  needs: ['reason'],
  explain: (f) => {
    const fn =
      f.dropFunction ?? (f.hop !== undefined ? f.packet.hops[f.hop]?.function : undefined) ?? 'the kernel';
    return {
      summary: `dropped in ${fn}${f.reason ? ` with reason ${f.reason}` : ''} on ${ifLabel(f)} in ${nsLabel(f)}`,
      advice: [
        'Trace again with the `drops` profile and the `stack` option on the free (a probe set line `kfree_skb_reason stack`) where kprobes attach, to see the function that decided it.',
        `The kernel's drop counters: ${inNetns(f, 'nstat -az')} (look at *Drop*, *Err*)`,
      ],
      evidence: hopEvidence(f),
    };
  },
};

export const inFlight: DiagnosisRule = {
  id: 'in-flight',
  title: 'still in flight when the trace ended',
  verdicts: ['in-flight'],
  needs: [],
  explain: (f) => ({
    summary: `still in flight in ${nsLabel(f)} when the trace ended: its end is not recorded`,
    advice: [
      'Trace longer (`--duration`) or stop after the traffic has settled; a packet held in a queue for seconds is itself a finding.',
    ],
    evidence: hopEvidence(f),
  }),
};

export const socketCopyOutOfScope: DiagnosisRule = {
  id: 'socket-copy-out-of-scope',
  title: 'freed as NO_SOCKET where a copy for a socket lay outside the trace scope or past its packet limit',
  verdicts: ['unknown'],
  needs: [],
  explain: (f) => {
    const unseen = f.packet.verdict?.unseen;
    if (unseen === 'socket-copy-limit') return pastTheLimit(f);
    if (unseen !== 'socket-copy') return undefined;
    return {
      summary:
        `freed at ${freeAt(f)} (NO_SOCKET) on ${ifLabel(f)} in ${nsLabel(f)}: a ping or raw socket that wanted it gets a ` +
        "copy this scoped trace cannot match (a socket's copy has no interface, and may be in another netns), so it cannot tell delivered from unwanted",
      advice: [
        'Trace again without `--interface`, scoped by the netns of the socket (or not at all), to see the copy reach it; or where kprobes attach (copies are then followed from skb_clone whatever the scope).',
        `Ping and raw sockets there: ${inNetns(f, 'ss -awp')}`,
      ],
      evidence: hopEvidence(f),
    };
  },
};

/** Where the verdict's hop freed the packet: the function, and the caller that freed it where known. */
function freeAt(f: Facts): string {
  const h = f.hop !== undefined ? f.packet.hops[f.hop] : undefined;
  const symbol = symbolOf(h?.location);
  return h ? `${h.function}${symbol ? ` in ${symbol}` : ''}` : 'a free';
}

/** The same free in a tracepoint run the packet limit stopped: the socket's copy would have been a new packet. */
function pastTheLimit(f: Facts): Finding {
  return {
    summary:
      `freed at ${freeAt(f)} (NO_SOCKET) in ${nsLabel(f)} after the run's packet limit: ` +
      "a ping or raw socket's copy of it is a new packet to tracepoints, and the limit let no new packet in, so it cannot tell delivered from unwanted",
    advice: [
      'Trace again with a higher packet limit (`--packets`, the Trace view’s pkts) so the copy is seen reaching the socket; or where kprobes or fentry attach (copies then join their original at skb_clone).',
      `Ping and raw sockets there: ${inNetns(f, 'ss -awp')}`,
    ],
    evidence: hopEvidence(f),
  };
}

export const unknownPath: DiagnosisRule = {
  id: 'partial-path',
  title: 'only part of the path was seen',
  verdicts: ['unknown'],
  needs: [],
  explain: (f) => ({
    summary: `only part of its path was seen (last in ${nsLabel(f)}${f.hop !== undefined ? ` at ${f.packet.hops[f.hop]?.function ?? '?'}` : ''})`,
    advice: [
      'Start the trace before the traffic; on kernels where only tracepoints attach, a packet is first seen where a tracepoint fires (use a VM/host with kprobes or fentry for the whole path).',
    ],
    evidence: hopEvidence(f),
  }),
};

export const FALLBACK_RULES = [droppedElsewhere, inFlight, socketCopyOutOfScope, unknownPath];
