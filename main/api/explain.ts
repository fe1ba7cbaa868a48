import { z } from 'zod';

/**
 * What pktpath says a packet's path *means* (issue 9): its verdict, the point and cause of a drop, the host's
 * network context around the run, and a diagnosis in words. Computed in the core, so the
 * CLI, browser mode and the app say the same; packet records carry these fields in snake_case like the rest of
 * `trace --json`.
 */

/** What finally happened to a packet, taken over the packet and every clone/copy of it. */
export const VerdictKindSchema = z.enum([
  /** handed to a local socket (or a clone of it was) */
  'delivered',
  /** routed and left through an interface */
  'forwarded',
  /** originated on this host and left through an interface */
  'sent',
  /** freed by the kernel with a drop reason (or by a function that only drops), no copy delivered or sent */
  'dropped',
  /** still in flight when the trace ended (`cut`) */
  'in-flight',
  /** the path is partial or ends without a telling hop */
  'unknown',
]);
export type VerdictKind = z.infer<typeof VerdictKindSchema>;

/**
 * Whether a packet counts as dropped, on every face (lists, counts, filters, variants): by its verdict (its fate over
 * its clones — a NO_SOCKET free after a clone was delivered is not a drop); without one, by its free's drop reason.
 * Takes a packet record (verdict object) or a summary (verdict kind).
 */
export function isDropped(p: {
  verdict?: { kind: VerdictKind } | VerdictKind | undefined;
  drop_reason?: string | null | undefined;
}): boolean {
  const kind = typeof p.verdict === 'string' ? p.verdict : p.verdict?.kind;
  return kind ? kind === 'dropped' : Boolean(p.drop_reason);
}

/** A free that is not the packet's fate, e.g. the original's NO_SOCKET after its clone reached a raw socket. */
export const BenignFreeSchema = z.object({
  /** index into the packet's hops */
  hop: z.int().nonnegative(),
  function: z.string(),
  reason: z.string().optional(),
  /** why it is harmless, in words */
  why: z.string(),
});

export const PacketVerdictSchema = z.object({
  kind: VerdictKindSchema,
  /** One line for people: "delivered (raw socket, via a clone)", "forwarded out eth1 (netns router)". */
  summary: z.string().min(1),
  /** The hop that decided it (delivery, exit, drop), an index into the packet's hops. */
  hop: z.int().nonnegative().optional(),
  /** Where it was delivered: the socket kind and, where the kernel told it, the process. */
  socket: z
    .object({
      kind: z.enum(['tcp', 'udp', 'raw', 'ping', 'packet', 'unix', 'other']),
      process: z.string().optional(),
      pid: z.int().positive().optional(),
    })
    .optional(),
  /** The interface it left by (forwarded/sent). */
  egress: z.object({ ifindex: z.int().nonnegative(), ifname: z.string().optional() }).optional(),
  /** True when the telling hop belongs to a clone/copy rather than the original skb. */
  via_clone: z.boolean().optional(),
  /** What would decide it but lay outside what the trace could see, with tracepoints only (no function probe joins
   * copies at skb_clone): `socket-copy`, a copy handed to a socket (no interface) in a scoped trace;
   * `socket-copy-limit`, that copy would have been a new packet past the run's packet limit. */
  unseen: z.enum(['socket-copy', 'socket-copy-limit']).optional(),
  benign: z.array(BenignFreeSchema).optional(),
});
export type PacketVerdict = z.infer<typeof PacketVerdictSchema>;

/** Where netfilter decided: hook, table, chain and — where it could be determined — the rule. */
export const NetfilterPointSchema = z.object({
  /** 'nftables' or 'iptables' (iptables-nft rules appear as nftables tables named like the iptables ones) */
  engine: z.enum(['nftables', 'iptables']).optional(),
  family: z.string().optional(),
  hook: z.string(),
  table: z.string().optional(),
  chain: z.string().optional(),
  handle: z.int().nonnegative().optional(),
  /** The rule's text as `nft -a list ruleset` prints it, or the `iptables-save` line. */
  rule: z.string().optional(),
});
export type NetfilterPoint = z.infer<typeof NetfilterPointSchema>;

export const DropPointSchema = z.object({
  /** The kernel's drop reason; absent when the kernel does not report one (see `reason_note`). */
  reason: z.string().optional(),
  /** e.g. "reason not reported by this kernel (< 5.17)". */
  reason_note: z.string().optional(),
  /** The function that decided the drop (not the generic free it called). */
  function: z.string(),
  /** `kfree_skb`'s caller location symbolized, e.g. `nf_hook_slow+0x9c`, where the kernel gives it. */
  location: z.string().optional(),
  /** netfilter, routing, neighbour, qdisc, tcp, udp, icmp, ip, ipv6, bridge, device, socket, … */
  subsystem: z.string(),
  /** Symbolized kernel stack at the drop, innermost first (with the `stack` option). */
  stack: z.array(z.string()).optional(),
  netfilter: NetfilterPointSchema.optional(),
  /** index into the packet's hops */
  hop: z.int().nonnegative().optional(),
});
export type DropPoint = z.infer<typeof DropPointSchema>;

export const EvidenceSchema = z.object({
  kind: z.enum(['hop', 'context', 'counter', 'probe', 'link']),
  /** In words, naming the concrete object: "hop 12 nft_do_chain in netns web", "net.ipv4.ip_forward = 0". */
  text: z.string().min(1),
  hop: z.int().nonnegative().optional(),
});

export const DiagnosisSchema = z.object({
  /** Stable id of the rule in the core's rule library, e.g. `nft-drop`, `no-route`. */
  rule: z.string().min(1),
  /** Plain words with the concrete names: what happened and where. */
  summary: z.string().min(1),
  /** What to check or change, and the command that confirms it. Never empty. */
  advice: z.array(z.string().min(1)).min(1),
  evidence: z.array(EvidenceSchema),
  /** Evidence the rule would have used but the run lacks, and the profile/option that supplies it. */
  missing: z.array(z.string()).optional(),
});
export type Diagnosis = z.infer<typeof DiagnosisSchema>;

/** One interface of a namespace, as `ip -j addr` reports it. */
export const ContextLinkSchema = z.object({
  ifindex: z.int().nonnegative(),
  ifname: z.string(),
  kind: z.string().optional(),
  state: z.string().optional(),
  /** false where the kernel reports NO-CARRIER (set at once; `state` follows asynchronously, up to a second later) */
  carrier: z.boolean().optional(),
  mtu: z.int().nonnegative().optional(),
  master: z.string().optional(),
  /** its root qdisc kind (`ip -d addr` prints it: noqueue, fq_codel, netem …) */
  qdisc: z.string().optional(),
  /** the peer's ifindex (veth) and its netns id, where the kernel reports them */
  link: z.string().optional(),
  addresses: z.array(z.string()).default([]),
});
export type ContextLink = z.infer<typeof ContextLinkSchema>;

/** Everything read-only the core captured about one network namespace at one moment. */
export const NetnsContextSchema = z.object({
  /** netns inode, as hops report it */
  netns: z.int().nonnegative(),
  /** `init`, an `ip netns` name, or `pid (comm)` of a process living in it */
  name: z.string(),
  links: z.array(ContextLinkSchema).default([]),
  /** `ip route show table all` / `ip -6 route …` lines */
  routes: z.array(z.string()).default([]),
  rules: z.array(z.string()).default([]),
  neighbours: z.array(z.string()).default([]),
  /** `nft -a list ruleset` text */
  nftables: z.string().optional(),
  /** `iptables-save` / `ip6tables-save` text */
  iptables: z.string().optional(),
  /** `tc -s qdisc show`, then `filters dev D ingress:` / `egress:` headers each followed by `tc -s filter show` */
  tc: z.string().optional(),
  sysctls: z.record(z.string(), z.string()).default({}),
  /** listening/bound sockets: `ss -H -lntupw` lines */
  listeners: z.array(z.string()).default([]),
  /** kernel SNMP/netstat counters (`nstat -a -z` style name → value) */
  counters: z.record(z.string(), z.number()).default({}),
  /** what could not be read, in words */
  errors: z.array(z.string()).default([]),
});
export type NetnsContext = z.infer<typeof NetnsContextSchema>;

export const HostContextSnapshotSchema = z.object({
  at: z.iso.datetime(),
  namespaces: z.array(NetnsContextSchema),
  /** true when the capture hit its time or size bound */
  truncated: z.boolean().optional(),
  /** why the capture failed or stopped short, in words (a failed capture never fails the trace) */
  error: z.string().optional(),
});
export type HostContextSnapshot = z.infer<typeof HostContextSnapshotSchema>;

/** A run's host context: captured at trace start and at its end (counters as deltas come from the two). */
export const HostContextSchema = z.object({
  version: z.literal(1),
  start: HostContextSnapshotSchema.optional(),
  end: HostContextSnapshotSchema.optional(),
});
export type HostContext = z.infer<typeof HostContextSchema>;
