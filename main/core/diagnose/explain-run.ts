import type { HostContext } from '../../api/explain.js';
import type { PacketPath } from '../../api/trace.js';
import { explainPacket, type ExplainOptions } from '../explain/explain-packets.js';
import { findAnswers } from './answers.js';
import { diagnosePacket } from './engine.js';
import { RULES } from './library.js';
import type { DiagnosisRule } from './rule.js';

/** How many packets either side of one are searched for the kernel's answers to it (bounded memory on any run). */
export const ANSWER_WINDOW = 64;

/** The netns where the packet ended (its last hop that knows its device). */
function endNetns(p: PacketPath): number | undefined {
  return [...p.hops].reverse().find((h) => h.ifindex > 0)?.netns ?? p.hops.at(-1)?.netns;
}

const p0 = (buf: PacketPath[], i: number): PacketPath => buf[i] as PacketPath;

/**
 * The packet with its verdict and drop point (the explain module's, its clones found among `nearby`), its
 * diagnosis, and for netfilter drops the rule in `drop.netfilter`.
 */
export function withDiagnosis(
  raw: PacketPath,
  ctx: HostContext | undefined,
  nearby: readonly PacketPath[],
  o: ExplainOptions,
  rules: readonly DiagnosisRule[] = RULES,
): PacketPath {
  // explained already (the explain module's own pass, with its longer look-ahead for children) or here
  const p = raw.verdict
    ? raw
    : explainPacket(
        raw,
        nearby.filter((c) => c.parent === raw.id),
        o,
      );
  const answers = p.drop_reason || p.verdict?.kind === 'dropped' ? findAnswers(p, nearby, endNetns(p)) : [];
  const e = diagnosePacket(p, ctx, answers, rules);
  if (!e) return p;
  const drop = p.drop && e.netfilter && !p.drop.netfilter ? { ...p.drop, netfilter: e.netfilter } : p.drop;
  return { ...p, ...(drop ? { drop } : {}), diagnosis: e.diagnosis };
}

/**
 * Diagnoses a run's packets as they stream by (from its run file): each is held until ANSWER_WINDOW later packets
 * have arrived, so answers that complete after it (an ICMP error, a RST) are found; memory stays bounded.
 */
export function* diagnosePackets(
  packets: Iterable<PacketPath>,
  ctx: HostContext | undefined,
  o: ExplainOptions,
  rules: readonly DiagnosisRule[] = RULES,
): Generator<PacketPath> {
  const buf: PacketPath[] = [];
  let next = 0; // index in buf of the next packet to emit
  for (const p of packets) {
    buf.push(p);
    if (buf.length - next > ANSWER_WINDOW) {
      yield withDiagnosis(p0(buf, next), ctx, buf, o, rules);
      next++;
      if (next > ANSWER_WINDOW) {
        buf.shift();
        next--;
      }
    }
  }
  for (; next < buf.length; next++) yield withDiagnosis(p0(buf, next), ctx, buf, o, rules);
}
