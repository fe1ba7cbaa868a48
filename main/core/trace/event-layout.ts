/**
 * The loader's binary records (docs/LOADER.md "Stream"; `bpf/pktpath.h`) described once. The grouper reads
 * fields through these offsets; test/unit/event-layout.test.ts checks every entry against the BTF of the shipped
 * `resources/x86_64/pktpath.bpf.o`, so a change to the C structs fails there instead of decoding garbage.
 */

/** One member: byte offset and size, as the C struct has them. */
export interface FieldLayout {
  readonly offset: number;
  readonly size: number;
}

/** `struct pktpath_event` (framing 1). */
export const EVENT = {
  size: 104,
  fields: {
    ktime_ns: { offset: 0, size: 8 },
    skb: { offset: 8, size: 8 },
    packet_id: { offset: 16, size: 4 },
    probe_id: { offset: 20, size: 4 },
    cpu: { offset: 24, size: 4 },
    netns: { offset: 28, size: 4 },
    ifindex: { offset: 32, size: 4 },
    len: { offset: 36, size: 4 },
    mark: { offset: 40, size: 4 },
    flags: { offset: 44, size: 2 },
    l4proto: { offset: 46, size: 1 },
    ip_version: { offset: 47, size: 1 },
    drop_reason: { offset: 48, size: 4 },
    stack_id: { offset: 52, size: 4 },
    retval: { offset: 56, size: 8 },
    saddr: { offset: 64, size: 16 },
    daddr: { offset: 80, size: 16 },
    sport: { offset: 96, size: 2 },
    dport: { offset: 98, size: 2 },
    _pad: { offset: 100, size: 4 },
  },
} as const satisfies { size: number; fields: Record<string, FieldLayout> };

/** `EV_*` bits of `pktpath_event.flags`. */
export const EVENT_FLAGS = {
  tuple: 1,
  drop: 2,
  stack: 4,
  retval: 8,
  first: 16,
  free: 32,
  l2: 64,
  partial: 128,
  /** kfree_skb: `retval` holds the tracepoint's `location` (the caller that freed the skb). */
  location: 256,
} as const;

/** `struct pktpath_capture`'s header (the frame carries the header and `caplen` bytes of `data`). */
export const CAPTURE = {
  header: 24,
  fields: {
    ktime_ns: { offset: 0, size: 8 },
    packet_id: { offset: 8, size: 4 },
    probe_id: { offset: 12, size: 4 },
    wire_len: { offset: 16, size: 4 },
    caplen: { offset: 20, size: 2 },
    flags: { offset: 22, size: 1 },
    _pad: { offset: 23, size: 1 },
    data: { offset: 24, size: 256 },
  },
} as const satisfies { header: number; fields: Record<string, FieldLayout> };

/** `struct pktpath_task` (frame type 5): the task a PROBE_TASK probe ran in — the receiving process. */
export const TASK = {
  size: 40,
  fields: {
    ktime_ns: { offset: 0, size: 8 },
    packet_id: { offset: 8, size: 4 },
    probe_id: { offset: 12, size: 4 },
    tgid: { offset: 16, size: 4 },
    pid: { offset: 20, size: 4 },
    comm: { offset: 24, size: 16 },
  },
} as const satisfies { size: number; fields: Record<string, FieldLayout> };

/** `CAP_*` bits of `pktpath_capture.flags`. */
export const CAPTURE_FLAGS = { l2: 1 } as const;
