import type { HostContext, HostContextSnapshot } from '../../api/explain.js';
import type { Hop, PacketPath } from '../../api/trace.js';

interface NetnsNames {
  name: string;
  ifnames: Map<number, string>;
}

function indexOf(snap: HostContextSnapshot | undefined, into: Map<number, NetnsNames>): void {
  for (const ns of snap?.namespaces ?? []) {
    const known = into.get(ns.netns);
    if (!known)
      into.set(ns.netns, { name: ns.name, ifnames: new Map(ns.links.map((l) => [l.ifindex, l.ifname])) });
    // an interface created mid-run exists only at the end: add it without renaming what the start knew
    else for (const l of ns.links) if (!known.ifnames.has(l.ifindex)) known.ifnames.set(l.ifindex, l.ifname);
  }
}

/**
 * Names hops with the interface and namespace names of the run's host context: the start snapshot's names win
 * (as they were when the packets passed), the end's fill in what was created mid-run. Numbers stay.
 */
export class HopNamer {
  private readonly byNetns = new Map<number, NetnsNames>();

  constructor(context: HostContext | undefined) {
    indexOf(context?.start, this.byNetns);
    indexOf(context?.end, this.byNetns);
  }

  get empty(): boolean {
    return this.byNetns.size === 0;
  }

  hop(h: Hop): Hop {
    const ns = this.byNetns.get(h.netns);
    if (!ns) return h;
    const ifname = h.ifindex ? ns.ifnames.get(h.ifindex) : undefined;
    return { ...h, netns_name: ns.name, ...(ifname ? { ifname } : {}) };
  }

  /** A copy of the packet with named hops (the same object when there is nothing to name). */
  packet<P extends PacketPath>(p: P): P {
    return this.empty ? p : { ...p, hops: p.hops.map((h) => this.hop(h)) };
  }
}

/** `eth0@web` (interface @ namespace), the CLI's way of naming where a hop was; numbers where names are unknown. */
export function hopPlace(h: Hop): string {
  const ifc = h.ifindex ? (h.ifname ?? `if${h.ifindex}`) : '-';
  return `${ifc}@${h.netns_name ?? h.netns}`;
}
