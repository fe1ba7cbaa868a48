import type { Hop } from '../../../main/api/trace.js';

const UNITS = [
  { unit: 'ns', scale: 1 },
  { unit: 'µs', scale: 1e3 },
  { unit: 'ms', scale: 1e6 },
  { unit: 's', scale: 1e9 },
] as const;

/**
 * Durations the way a trace reader wants them: 3 significant digits in the unit that keeps the number under 1000
 * (never an exponent: 999,999 ns is "1.00 ms", not "1.00e+3 µs"); whole seconds past 1000 s.
 */
export function formatNs(ns: number | null | undefined): string {
  if (ns === null || ns === undefined || !Number.isFinite(ns)) return '—';
  const a = Math.abs(ns);
  const sign = ns < 0 ? '−' : '';
  if (a < 999.5) return `${sign}${Math.round(a)} ns`;
  for (const { unit, scale } of UNITS.slice(1)) {
    const r = Number((a / scale).toPrecision(3));
    if (r < 1000 || unit === 's')
      return `${sign}${r >= 1000 ? Math.round(a / scale) : r.toFixed(r >= 100 ? 0 : r >= 10 ? 1 : 2)} ${unit}`;
  }
  return '—';
}

/**
 * A time offset in a run (the list's time column): µs resolution, so packets ms apart never read the same —
 * "107.123 ms", "12.345678 s".
 */
export function formatOffsetNs(ns: number): string {
  if (!Number.isFinite(ns)) return '—';
  const sign = ns < 0 ? '−' : '';
  const us = Math.round(Math.abs(ns) / 1e3);
  if (us < 1000) return `${sign}${us} µs`;
  if (us < 1_000_000) return `${sign}${(us / 1e3).toFixed(3)} ms`;
  return `${sign}${(us / 1e6).toFixed(6)} s`;
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

// One formatter: toLocaleString builds a new one per call, and a live view formats counts every batch.
const COUNT = new Intl.NumberFormat('en-US');
export function formatCount(n: number): string {
  return COUNT.format(n);
}

export function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}
