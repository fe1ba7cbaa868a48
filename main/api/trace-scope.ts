import { z } from 'zod';

/**
 * What scopes a trace besides the pcap filter (issue 12): the meta filters the kernel side checks before the filter
 * (network namespace, interface, mark) and TC observers, the seed's mechanism — observe-only programs on an
 * interface's ingress/egress. The schemas and the one text grammar of each (the CLI's flags and the Trace form's
 * fields read the same words) are said here once.
 */

/** An `ip netns` name: the loader opens /run/netns/NAME on the host, so never a path. */
export const NetnsNameSchema = z
  .string()
  .regex(/^(?!\.\.?$)[A-Za-z0-9_.-]{1,64}$/, 'a netns name is 1 to 64 letters, digits, ".", "_" or "-"');

/** A network namespace: its inode number (`ls -Li /proc/PID/ns/net`) or its `ip netns` name. */
export const NetnsRefSchema = z.union([z.int().positive().max(0xffffffff), NetnsNameSchema]);
export type NetnsRef = z.infer<typeof NetnsRefSchema>;

/** A Linux interface name (IFNAMSIZ - 1 bytes, no "/", white space, ":" or "@" in our grammar). */
export const IfnameSchema = z
  .string()
  .regex(/^[^\s/:@]{1,15}$/, 'an interface name is 1 to 15 characters without spaces, "/", ":" or "@"');

export const TcDirectionSchema = z.enum(['ingress', 'egress', 'both']);
export type TcDirection = z.infer<typeof TcDirectionSchema>;

/** A TC observer on one interface (in a named netns, else the root one), never changing the packet's verdict. */
export const TcPointSchema = z.object({
  interface: IfnameSchema,
  netns: NetnsNameSchema.optional(),
  direction: TcDirectionSchema.default('both'),
});
export type TcPoint = z.infer<typeof TcPointSchema>;
export type TcPointInput = z.input<typeof TcPointSchema>;

/** The loader's limit on TC points (config.c). */
export const MAX_TC_POINTS = 64;

export type Parsed<T> = { value: T } | { error: string };

const firstIssue = (e: z.ZodError) => e.issues[0]?.message ?? 'invalid';

/** `4026531840` (an inode) or `web` (an `ip netns` name). */
export function parseNetns(text: string): Parsed<NetnsRef> {
  const t = text.trim();
  const r = NetnsRefSchema.safeParse(/^\d+$/.test(t) ? Number(t) : t);
  return r.success ? { value: r.data } : { error: `netns ${JSON.stringify(t)}: ${firstIssue(r.error)}` };
}

/** `eth0` (a name) or `3` (an index). */
export function parseInterface(text: string): Parsed<{ ifname: string } | { ifindex: number }> {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    return n > 0 && n <= 0x7fffffff
      ? { value: { ifindex: n } }
      : { error: `interface index ${t}: must be > 0` };
  }
  const r = IfnameSchema.safeParse(t);
  return r.success
    ? { value: { ifname: r.data } }
    : { error: `interface ${JSON.stringify(t)}: ${firstIssue(r.error)}` };
}

/** `VALUE[/MASK]`, each decimal or 0x-hex, 32 bits. */
export function parseMark(text: string): Parsed<{ value: number; mask: number }> {
  const m = /^\s*(0x[0-9a-f]+|\d+)\s*(?:\/\s*(0x[0-9a-f]+|\d+))?\s*$/i.exec(text);
  const num = (s: string | undefined) => (s === undefined ? 0xffffffff : Number(s));
  const [value, mask] = m ? [num(m[1]), num(m[2])] : [NaN, NaN];
  if (!m || value > 0xffffffff || mask > 0xffffffff)
    return {
      error: `mark ${JSON.stringify(text.trim())}: VALUE[/MASK], each a 32-bit number (decimal or 0x…)`,
    };
  if ((value & ~mask) >>> 0) return { error: `mark ${text.trim()}: the value has bits outside the mask` };
  return { value: { value, mask } };
}

/** `IFACE[@NETNS][:ingress|egress|both]`, e.g. `veth0@web:ingress`. */
export function parseTcPoint(text: string): Parsed<TcPoint> {
  const m = /^\s*([^@:\s]+)(?:@([^:\s]+))?(?::(\w+))?\s*$/.exec(text);
  if (!m) return { error: `TC point ${JSON.stringify(text.trim())}: IFACE[@NETNS][:ingress|egress|both]` };
  const r = TcPointSchema.safeParse({ interface: m[1], netns: m[2], direction: m[3] });
  return r.success ? { value: r.data } : { error: `TC point ${text.trim()}: ${firstIssue(r.error)}` };
}

/** A comma- or space-separated list of TC points (the Trace form's one field). */
export function parseTcPoints(text: string): Parsed<TcPoint[]> {
  const parts = text.split(/[,\s]+/).filter(Boolean);
  if (parts.length > MAX_TC_POINTS) return { error: `at most ${MAX_TC_POINTS} TC points` };
  const out: TcPoint[] = [];
  for (const p of parts) {
    const r = parseTcPoint(p);
    if ('error' in r) return r;
    out.push(r.value);
  }
  return { value: out };
}

/** A TC point as the grammar above writes it (what the CLI prints and the form shows back). */
export const tcPointText = (p: TcPoint): string =>
  `${p.interface}${p.netns ? `@${p.netns}` : ''}${p.direction === 'both' ? '' : `:${p.direction}`}`;
