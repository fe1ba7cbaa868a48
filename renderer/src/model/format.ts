import type { Hop } from '../../../main/api/trace';

/** Durations the way a trace reader wants them: 3 significant digits, unit that keeps the number small. */
export function formatNs(ns: number | null | undefined): string {
  if (ns === null || ns === undefined || !Number.isFinite(ns)) return '—';
  const a = Math.abs(ns);
  const sign = ns < 0 ? '−' : '';
  if (a < 1_000) return `${sign}${Math.round(a)} ns`;
  if (a < 1_000_000) return `${sign}${(a / 1_000).toPrecision(3)} µs`;
  if (a < 1_000_000_000) return `${sign}${(a / 1_000_000).toPrecision(3)} ms`;
  return `${sign}${(a / 1_000_000_000).toPrecision(3)} s`;
}

/** Signed Δ with an explicit +, for compare rows. */
export function formatDeltaNs(ns: number | null | undefined): string {
  if (ns === null || ns === undefined) return '';
  return ns > 0 ? `+${formatNs(ns)}` : formatNs(ns);
}

const PROTOS: Record<number, string> = {
  1: 'ICMP',
  6: 'TCP',
  17: 'UDP',
  58: 'ICMPv6',
  132: 'SCTP',
  47: 'GRE',
};

export function protoName(proto: number): string {
  return PROTOS[proto] ?? `proto ${proto}`;
}

/** "ICMP 10.0.0.1 → 10.0.0.2" or "TCP 10.0.0.1:5000 → 10.0.0.2:80". */
export function formatTuple(t: Hop['tuple']): string {
  if (!t) return '';
  const ports = t.proto === 6 || t.proto === 17 || t.proto === 132;
  const ep = (addr: string, port: number) =>
    ports ? `${addr.includes(':') ? `[${addr}]` : addr}:${port}` : addr;
  return `${protoName(t.proto)} ${ep(t.saddr, t.sport)} → ${ep(t.daddr, t.dport)}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}
