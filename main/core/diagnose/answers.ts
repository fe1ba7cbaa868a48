import type { PacketPath } from '../../api/trace.js';
import type { Answer } from './facts.js';
import { icmpType } from './packet-match.js';

/** ICMP types that answer another packet: destination unreachable, source quench, redirect, time exceeded, parameter problem. */
const ICMP_ERRORS = new Set([3, 4, 5, 11, 12]);
/** How long after the packet's last hop an answer may start (the kernel answers at once; rate limits aside). */
const WINDOW_NS = 1e9;

const firstTuple = (p: PacketPath) => p.hops.find((h) => h.tuple)?.tuple;

/**
 * The kernel's answers to `p` among nearby packets of the run: ICMP errors sent back to its source from the netns
 * where it ended, or a TCP segment on the reversed 4-tuple (the RST of a closed port). Matched by addresses,
 * ports, the netns the answer starts in and time.
 */
export function findAnswers(p: PacketPath, nearby: readonly PacketPath[], endNetns?: number): Answer[] {
  const t = firstTuple(p);
  const first = p.hops[0]?.ts_ns;
  const last = p.hops.at(-1)?.ts_ns;
  if (!t || first === undefined || last === undefined) return [];
  const out: Answer[] = [];
  for (const q of nearby) {
    if (q.id === p.id || q.parent !== undefined || q.partial) continue;
    const u = firstTuple(q);
    const start = q.hops[0];
    if (!u || !start || u.daddr !== t.saddr || start.ts_ns < first || start.ts_ns > last + WINDOW_NS)
      continue;
    if (endNetns !== undefined && start.netns !== endNetns) continue;
    const type = icmpType(u);
    if (u.proto === 1 && type !== undefined && ICMP_ERRORS.has(type))
      out.push({ packet: q.id, kind: 'icmp', icmpType: type, icmpCode: u.dport & 0xff, from: u.saddr });
    else if (
      t.proto === 6 &&
      u.proto === 6 &&
      u.sport === t.dport &&
      u.dport === t.sport &&
      u.saddr === t.daddr
    )
      out.push({ packet: q.id, kind: 'tcp', from: u.saddr });
  }
  return out;
}
