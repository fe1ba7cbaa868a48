import type { PathVariant } from './compare.js';
import { isDropped } from './explain.js';
import type { PacketPath } from './trace.js';

/**
 * A run's path variants: distinct function sequences *with their outcome* (verdict and drop reason), so a path
 * dropped NO_SOCKET and the same path dropped NETFILTER_DROP are two variants, never "the same in both runs". One
 * function for every face: the core indexes saved runs and compares runs with it, the renderer groups a live run's
 * packets with it.
 */

type Outcome = Pick<PathVariant, 'drop_reason' | 'verdict'>;

/** What a packet's path came to: its verdict (where the core explained it) and its drop reason. */
export function outcomeOf(p: Pick<PacketPath, 'verdict' | 'drop_reason'>): Outcome {
  return {
    ...(p.drop_reason ? { drop_reason: p.drop_reason } : {}),
    ...(p.verdict ? { verdict: p.verdict.kind } : {}),
  };
}

/** The identity of a variant: complete or not, its functions and its outcome. */
export function variantKey(functions: readonly string[], o: Outcome, partial?: boolean): string {
  return `${partial ? 'p' : 'c'}\n${o.verdict ?? ''}\n${o.drop_reason ?? ''}\n${functions.join('\n')}`;
}

/** The key of the variant a packet belongs to. */
export function packetVariantKey(p: PacketPath): string {
  return variantKey(
    p.hops.map((h) => h.function),
    outcomeOf(p),
    Boolean(p.partial || p.cut),
  );
}

/**
 * Distinct paths of a run with how many packets took each: complete paths first (fragments and paths cut by the end
 * of the trace are not what "the path" of a run means), then most frequent, then earliest.
 */
export function pathVariants(
  packets: readonly PacketPath[],
  /** A face whose packets never change once made may remember each one's key (the live list regroups often). */
  keyOf: (p: PacketPath) => string = packetVariantKey,
): PathVariant[] {
  const byKey = new Map<string, PathVariant>();
  for (const p of packets) {
    const key = keyOf(p);
    const v = byKey.get(key);
    const dropped = isDropped(p);
    if (v) {
      v.count++;
      v.packet_ids.push(p.id);
      v.dropped = (v.dropped ?? 0) + Number(dropped);
    } else {
      const partial = Boolean(p.partial || p.cut);
      byKey.set(key, {
        functions: p.hops.map((h) => h.function),
        count: 1,
        packet_ids: [p.id],
        dropped: Number(dropped),
        ...outcomeOf(p),
        ...(partial ? { partial } : {}),
      });
    }
  }
  return [...byKey.values()].sort(
    (x, y) =>
      Number(Boolean(x.partial)) - Number(Boolean(y.partial)) ||
      y.count - x.count ||
      (x.packet_ids[0] ?? 0) - (y.packet_ids[0] ?? 0),
  );
}
