import type { Shell } from '../exec.js';
import type { Topology } from '../netns.js';

/** A packet as `pktpath trace --json` prints it (the fields the scenarios read). */
export interface TracedPacket {
  id: number;
  hops: {
    function: string;
    netns: number;
    ifindex: number;
    ifname?: string;
    netns_name?: string;
    drop_reason?: string;
    tuple?: { proto: number; saddr: string; daddr: string; sport: number; dport: number };
  }[];
  drop_reason: string | null;
  partial?: boolean;
  verdict?: { kind: string; summary: string };
  drop?: {
    function: string;
    reason?: string;
    netfilter?: { table?: string; chain?: string; handle?: number };
  };
  diagnosis?: {
    rule: string;
    summary: string;
    advice: string[];
    evidence: { kind: string; text: string }[];
    missing?: string[];
  };
  parent?: number;
  children?: number[];
}

export interface TraceDoc {
  host: string;
  mode: string;
  packets: TracedPacket[];
  [k: string]: unknown;
}

/**
 * One diagnosis scenario: a topology broken in one known way, traffic that meets the break, and what pktpath must
 * say about it (the rule id, the verdict, and the concrete names its summary must carry).
 */
export interface Scenario {
  /** also the expected diagnosis rule id */
  rule: string;
  verdict: 'delivered' | 'forwarded' | 'sent' | 'dropped' | 'unknown';
  /** client ⇄ router ⇄ server instead of client ⇄ server */
  routed?: boolean;
  filter(t: Topology): string;
  /** More `pktpath trace` arguments (a scope: --netns, --interface …). */
  args?(t: Topology): string[];
  /** Breaks (or prepares) the topology before the trace starts. */
  setup?(t: Topology): Promise<void>;
  /** The traffic, sent while the trace runs. */
  traffic(t: Topology): Promise<void>;
  /** The packet the scenario is about. */
  pick(t: Topology, doc: TraceDoc): TracedPacket | undefined;
  /** Concrete names the diagnosis summary must say (netns, interface, rule text, address, process…). */
  names(t: Topology): string[];
  /** The kernel answers the packet (ICMP error, RST): the diagnosis must link that answer as evidence. */
  linked?: boolean;
  /** How long to wait after the traffic for the last frees (default 400 ms). */
  settleMs?: number;
  /** Tools this scenario needs on the host beyond the lab's usual ones. */
  tools?: string[];
  /** Where it can run: 'local' (this kernel) and/or VMs whose kernel has what it needs. */
  hosts: readonly ('local' | 'vm612' | 'vm61' | 'vm510')[];
}

export type ScenarioShell = Shell;

const tupleOf = (p: TracedPacket) => p.hops.find((h) => h.tuple)?.tuple;

/** The first whole (not fragment) packet whose first tuple satisfies `match`. */
export function packetWhere(
  doc: TraceDoc,
  match: (t: NonNullable<ReturnType<typeof tupleOf>>, p: TracedPacket) => boolean,
  fragments = false,
): TracedPacket | undefined {
  return doc.packets.find((p) => {
    const t = tupleOf(p);
    return (fragments || !p.partial) && t !== undefined && match(t, p);
  });
}

/**
 * The first packet from `src` to `dst` that the kernel dropped. `fragments`: also one first seen at its free (a
 * packet that waited in a queue no tracepoint sees, e.g. for ARP).
 */
export function droppedFrom(
  doc: TraceDoc,
  src: string,
  dst: string,
  proto?: number,
  fragments = false,
): TracedPacket | undefined {
  return packetWhere(
    doc,
    (t, p) =>
      t.saddr === src &&
      t.daddr === dst &&
      (proto === undefined || t.proto === proto) &&
      (p.verdict ? p.verdict.kind === 'dropped' : p.drop_reason !== null),
    fragments,
  );
}
