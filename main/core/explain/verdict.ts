import type { PacketVerdict } from '../../api/explain.js';
import type { Hop, PacketPath } from '../../api/trace.js';
import type { ExplainOptions } from './explain-packets.js';
import { isDropFree, isForward, isReceive } from './hop-roles.js';
import { NOT_DROPS } from './not-drops.js';
import { protoOf, realDropReason, strandsOf, type Strand } from './strands.js';

/**
 * A packet's verdict over its strands (the original skb, its copies, its linked children), in this order:
 * a copy reached a socket and was not dropped after → delivered (other strands' drops are benign); a strand was
 * dropped → dropped; the trace ended with it in flight → in-flight; it last left through an interface →
 * forwarded (received and routed here) or sent (built here); it was consumed after being received → delivered
 * (to the local stack); otherwise unknown. docs/CLI.md "Explain" lists the rules.
 */
export function packetVerdict(
  p: PacketPath,
  children: readonly PacketPath[],
  o: Pick<ExplainOptions, 'reasonsKnown' | 'socketCopiesUnseen' | 'packetLimitStopped'>,
): PacketVerdict {
  const strands = strandsOf(p, children, o.reasonsKnown);
  const delivered = strands.find((s) => s.delivered && !s.dropped);
  if (delivered) return deliveredVerdict(p, strands, delivered);
  const dropped = strands.find((s) => s.dropped && !s.clone) ?? strands.find((s) => s.dropped);
  if (dropped?.dropped) {
    const h = dropped.hops[dropped.dropped.at] as { hop: Hop; at: number };
    const reason = realDropReason(h.hop);
    const unseenCopy = o.socketCopiesUnseen || o.packetLimitStopped;
    if (unseenCopy && reason === 'NO_SOCKET' && isIcmp(protoOf(p)) && !dropped.clone) {
      const limit = !o.socketCopiesUnseen; // the scope explains it whatever the limit did
      return {
        kind: 'unknown',
        // the original is freed NO_SOCKET once a copy went to a ping/raw socket, and that copy was not traced
        summary: `unknown (freed NO_SOCKET at ${h.hop.function}; a copy for a socket ${limit ? 'may have come past the packet limit' : "is outside the trace's scope"})`,
        hop: h.at,
        unseen: limit ? 'socket-copy-limit' : 'socket-copy',
      };
    }
    return {
      kind: 'dropped',
      summary: `dropped at ${h.hop.function}${reason ? ` (${reason})` : ''}${dropped.clone ? ', a copy' : ''}`,
      ...(dropped.child ? { via_clone: true } : { hop: h.at }),
    };
  }
  const recorded = recordedDrop(p);
  if (recorded) return recorded;
  if (p.cut) return { kind: 'in-flight', summary: 'in flight when the trace ended' };
  const main = strands.find((s) => !s.clone) ?? strands[0];
  if (!main || p.partial)
    return {
      kind: 'unknown',
      summary: p.partial ? 'unknown (a fragment: first seen while freed)' : 'unknown',
    };
  return leftOrConsumed(main, protoOf(p)) ?? { kind: 'unknown', summary: 'unknown (no hop tells its fate)' };
}

function deliveredVerdict(p: PacketPath, strands: Strand[], s: Strand): PacketVerdict {
  const at = s.delivered as NonNullable<Strand['delivered']>;
  const h = s.hops[at.at] as { hop: Hop; at: number };
  let kind = at.kind;
  // a raw socket gets the IP header, a ping (ICMP datagram) socket only the ICMP message
  if (kind === 'raw' && h.hop.len < receivedLen(p)) kind = 'ping';
  const benign = strands
    .filter((o) => !o.child && (o.discarded || (o !== s && o.dropped)))
    .map((o) => {
      const d = o.hops[(o.discarded ?? (o.dropped as { at: number })).at] as { hop: Hop; at: number };
      const reason = d.hop.drop_reason;
      return {
        hop: d.at,
        function: d.hop.function,
        ...(reason ? { reason } : {}),
        why: o.discarded
          ? `the ${kind} socket held it and was closed or purged with it unread`
          : s.clone
            ? `a clone of it was delivered to a ${kind} socket; this free of the original is not its fate`
            : `the packet was delivered to a ${kind} socket; this free of a copy is not its fate`,
      };
    });
  const task = receiver(s.hops);
  return {
    kind: 'delivered',
    summary: `delivered (${kind} socket${s.clone ? ', via a clone' : ''})${toReceiver(task)}`,
    socket: socketOf(kind, task),
    ...(s.child ? {} : { hop: h.at }),
    ...(s.clone ? { via_clone: true } : {}),
    ...(benign.length ? { benign } : {}),
  };
}

/** A packet whose record names a drop reason no hop carries (runs recorded or imported that way): dropped at its
 * last kfree_skb-like hop, else its last hop. */
function recordedDrop(p: PacketPath): PacketVerdict | undefined {
  const reason = p.drop_reason;
  if (!reason || NOT_DROPS.has(reason) || !p.hops.length) return undefined;
  let at = p.hops.length - 1;
  for (let i = at; i >= 0; i--)
    if (isDropFree((p.hops[i] as Hop).function)) {
      at = i;
      break;
    }
  return { kind: 'dropped', summary: `dropped at ${(p.hops[at] as Hop).function} (${reason})`, hop: at };
}

const isIcmp = (proto: number | undefined) => proto === 1 || proto === 58;

/** The process the kernel copied the packet to (a hop's `task`: recvmsg runs in the receiver), if a probe said. */
const receiver = (hops: readonly { hop: Hop }[]) => hops.findLast(({ hop }) => hop.task)?.hop.task;
type Task = Hop['task'];
const toReceiver = (t: Task) => (t ? ` to ${t.comm} (pid ${t.pid})` : '');
const socketOf = (kind: NonNullable<PacketVerdict['socket']>['kind'], t: Task) => ({
  kind,
  ...(t ? { process: t.comm, pid: t.pid } : {}),
});

/** The length the packet had when the stack received it (IP header on), for telling raw from ping sockets. */
function receivedLen(p: PacketPath): number {
  let len = 0;
  for (const h of p.hops) if (isReceive(h.function) && !(h.copy ?? 0)) len = Math.max(len, h.len);
  return len;
}

/** Left through an interface (forwarded or sent), or consumed after it was received: by the transport that
 * took it (TCP and UDP free with a drop reason when no socket wants a segment), or by the kernel (ICMP echo). */
function leftOrConsumed(s: Strand, proto: number | undefined): PacketVerdict | undefined {
  const tx = s.lastTx;
  const rx = s.lastRx;
  if (tx !== undefined && (rx === undefined || tx > rx)) {
    const h = (s.hops[tx] as { hop: Hop; at: number }).hop;
    const out = s.hops.slice(0, tx + 1);
    // forwarded: routed here (ip_forward) or received in the namespace it then left from
    const routed = out.some(({ hop }) => isForward(hop.function));
    const rxHere = out.some(({ hop }) => isReceive(hop.function) && hop.netns === h.netns);
    const kind = routed || rxHere ? 'forwarded' : 'sent';
    // the name as the host knew it when the hop is named (HopNamer), the number otherwise
    return {
      kind,
      summary: `${kind} out ${h.ifname ?? `ifindex ${h.ifindex}`}`,
      hop: (s.hops[tx] as { at: number }).at,
      egress: { ifindex: h.ifindex, ...(h.ifname ? { ifname: h.ifname } : {}) },
    };
  }
  if (rx === undefined || !s.consumed) return undefined;
  const hop = (s.hops[s.hops.length - 1] as { at: number }).at;
  const transport = proto === 6 ? 'tcp' : proto === 17 ? 'udp' : undefined;
  const task = receiver(s.hops);
  if (transport)
    return {
      kind: 'delivered',
      summary: `delivered (${transport} socket)${toReceiver(task)}`,
      hop,
      socket: socketOf(transport, task),
    };
  const echo = s.hops.some(({ hop: h }) => h.function === 'icmp_echo');
  return {
    kind: 'delivered',
    summary: echo
      ? 'delivered (icmp echo, answered by the kernel)'
      : 'delivered (consumed by the local stack)',
    hop,
  };
  return undefined;
}

export { protoOf };
