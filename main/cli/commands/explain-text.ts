import { isDropped } from '../../api/explain.js';
import type { Hop, PacketPath } from '../../api/trace.js';
import { hopPlace } from '../../core/context/hop-names.js';
import { diagnosisLines } from '../diagnosis-text.js';
import { explainGroups, explainPacket, type ExplainOptions } from '../../core/explain/explain-packets.js';

function fmtDt(ns: number): string {
  return ns < 1000 ? `${ns} ns` : ns < 1e6 ? `${(ns / 1e3).toFixed(1)} µs` : `${(ns / 1e6).toFixed(2)} ms`;
}

const PROTO: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6' };

function packetHeader(p: PacketPath): string {
  const t = p.hops.find((h) => h.tuple)?.tuple;
  const proto = t ? (PROTO[t.proto] ?? `proto ${t.proto}`) : '';
  const flow = t
    ? t.proto === 1 || t.proto === 58
      ? `${t.saddr} → ${t.daddr}`
      : `${t.saddr}:${t.sport} → ${t.daddr}:${t.dport}`
    : '';
  const dropped = isDropped(p);
  const reason = p.drop?.reason ?? p.drop_reason;
  const marks = `${p.partial ? '  (fragment: first seen while freed)' : ''}${p.cut ? '  (cut: still in flight at the end)' : ''}${p.parent !== undefined ? `  (clone of packet ${p.parent})` : ''}`;
  return `packet ${p.id}  ${[proto, flow].filter(Boolean).join(' ')}  ${p.hops.length} hops${dropped ? `  DROPPED${reason ? `: ${reason}` : ''}` : ''}${marks}`;
}

/** A hop's name as the CLI shows it: tracepoints as `tp:NAME`, TC observers as `tc:NAME`, copies marked. */
export function hopName(h: Hop): string {
  const kind = h.probe_kind === 'tracepoint' ? 'tp:' : h.probe_kind === 'tc' ? 'tc:' : '';
  return `${kind}${h.function}${h.copy ? ` [copy ${h.copy}]` : ''}`;
}

function* hopLines(p: PacketPath, indent: string): Generator<string> {
  let prev: { netns: number; ifindex: number; ts: number } | undefined;
  for (const h of p.hops) {
    const dt = prev ? `+${fmtDt(h.ts_ns - prev.ts)}` : '0';
    const moved = prev && (prev.netns !== h.netns || prev.ifindex !== h.ifindex) ? '  ←' : '';
    const at = h.location ? ` at ${h.location}` : '';
    const task = h.task ? ` in ${h.task.comm}[${h.task.pid}]` : '';
    yield `${indent}${dt.padStart(11)}  ${hopName(h).padEnd(28)} ${hopPlace(h).padEnd(16)} len ${h.len}${h.drop_reason ? ` reason ${h.drop_reason}` : ''}${at}${task}${moved}`;
    prev = { netns: h.netns, ifindex: h.ifindex, ts: h.ts_ns };
  }
}

/** The verdict and drop lines under a packet. */
function* verdictLines(p: PacketPath, indent: string): Generator<string> {
  const v = p.verdict;
  if (!v) return;
  yield `${indent}verdict: ${v.summary}`;
  for (const b of v.benign ?? [])
    yield `${indent}  benign: ${b.function}${b.reason ? ` ${b.reason}` : ''} (hop ${b.hop}): ${b.why}`;
  const d = p.drop;
  if (d)
    yield `${indent}drop point: ${d.function} (${d.subsystem})${d.reason ? ` reason ${d.reason}` : ''}${d.reason_note ? ` — ${d.reason_note}` : ''}${d.netfilter ? ` netfilter hook ${d.netfilter.hook}` : ''}`;
  const stack = d?.stack ?? [];
  // the frames that say how the packet got there; the syscall or softirq entry below them rarely matters
  if (stack.length) yield `${indent}  kernel stack at the drop (innermost first):`;
  for (const f of stack.slice(0, STACK_LINES)) yield `${indent}    ${f}`;
  if (stack.length > STACK_LINES)
    yield `${indent}    … ${stack.length - STACK_LINES} more frames (--json has them all)`;
}

const STACK_LINES = 12;

/** A run's packets as text, each with its verdict, and its linked clones right under it (once). */
export function* packetsText(packets: Iterable<PacketPath>, o: ExplainOptions): Generator<string> {
  for (const { packet, children, withParent } of explainGroups(packets, o)) {
    if (withParent) continue; // printed under its parent
    yield packetHeader(packet);
    yield* hopLines(packet, '');
    yield* verdictLines(packet, '  ');
    yield* diagnosisLines(packet);
    for (const c of children) {
      const child = explainPacket(c, [], o);
      yield `  └ ${packetHeader(child)}`;
      yield* hopLines(child, '    ');
      yield* verdictLines(child, '      ');
    }
  }
}
