import { isDropped } from '../../../main/api/explain.js';
import { outcomeOf, packetVariantKey } from '../../../main/api/path-variants.js';
import type { PacketPath } from '../../../main/api/trace.js';

/** A distinct path of a run (functions and outcome) and how many packets (and drops) took it. */
export interface VariantInfo {
  functions: string[];
  count: number;
  dropped: number;
  drop_reason?: string | undefined;
  verdict?: string | undefined;
  partial?: boolean | undefined;
}

/** Each packet's variant key, once: the page never changes a packet object (a grown packet arrives as a new one). */
const variantKeys = new WeakMap<PacketPath, string>();
export function rememberedKey(p: PacketPath): string {
  let k = variantKeys.get(p);
  if (k === undefined) variantKeys.set(p, (k = packetVariantKey(p)));
  return k;
}

interface Group {
  info: VariantInfo;
  /** Member packet id → its place in the window (insertion order; a grown packet keeps its place). */
  members: Map<number, number>;
  /** The member first in the window (pathVariants' tie-break), recomputed when it leaves. */
  first: { seq: number; id: number } | undefined;
}

/**
 * A live run's path variants kept up to date packet by packet, so a batch costs what it brings, not a regrouping of
 * the whole window. Same variants, counts and order as `pathVariants` over the window: complete first, then most
 * frequent, then the one whose first packet comes first.
 */
export class LiveVariants {
  private readonly groups = new Map<string, Group>();
  private sorted: { list: VariantInfo[]; rank: Map<string, number> } | undefined;

  add(p: PacketPath, seq: number): void {
    const key = rememberedKey(p);
    let g = this.groups.get(key);
    if (!g) {
      const partial = Boolean(p.partial || p.cut);
      const info = {
        functions: p.hops.map((h) => h.function),
        count: 0,
        dropped: 0,
        ...outcomeOf(p),
        ...(partial ? { partial } : {}),
      };
      this.groups.set(key, (g = { info, members: new Map(), first: undefined }));
    }
    g.info.count++;
    g.info.dropped += Number(isDropped(p));
    g.members.set(p.id, seq);
    if (g.first && seq < g.first.seq) g.first = { seq, id: p.id };
    this.sorted = undefined;
  }

  remove(p: PacketPath): void {
    const key = rememberedKey(p);
    const g = this.groups.get(key);
    if (!g?.members.delete(p.id)) return;
    g.info.count--;
    g.info.dropped -= Number(isDropped(p));
    if (!g.info.count) this.groups.delete(key);
    else if (g.first?.id === p.id) g.first = undefined;
    this.sorted = undefined;
  }

  /**
   * The variants as they are now, sorted as pathVariants sorts them (a new array after any change, so React sees
   * it), and the index in that list of the variant a packet belongs to.
   */
  snapshot(): { list: readonly VariantInfo[]; variantOf: (p: PacketPath) => number } {
    const { list, rank } = this.order();
    return { list, variantOf: (p) => rank.get(rememberedKey(p)) ?? 0 };
  }

  private order() {
    if (this.sorted) return this.sorted;
    const gs = [...this.groups.entries()].map(([key, g]) => ({ key, g, first: firstOf(g) }));
    gs.sort(
      (x, y) =>
        Number(Boolean(x.g.info.partial)) - Number(Boolean(y.g.info.partial)) ||
        y.g.info.count - x.g.info.count ||
        x.first - y.first,
    );
    const rank = new Map(gs.map((x, i) => [x.key, i]));
    return (this.sorted = { list: gs.map((x) => ({ ...x.g.info })), rank });
  }
}

/** The id of a group's first member in the window (scanned only after that member left). */
function firstOf(g: Group): number {
  if (!g.first) {
    let best: { seq: number; id: number } | undefined;
    for (const [id, seq] of g.members) if (!best || seq < best.seq) best = { seq, id };
    g.first = best;
  }
  return g.first?.id ?? 0;
}
