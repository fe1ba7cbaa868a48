import type { Hop } from '../../../main/api/trace';

/** A hop's interface for people: its name as the host knew it, else `if N` (0 = none seen yet). */
export function ifLabel(h: Pick<Hop, 'ifindex' | 'ifname'>): string {
  return h.ifname ?? (h.ifindex ? `if ${h.ifindex}` : '—');
}

/** A hop's network namespace for people: `init`, an `ip netns` name, `pid (comm)`, else its inode. */
export function netnsLabel(h: Pick<Hop, 'netns' | 'netns_name'>): string {
  return h.netns_name ?? (h.netns ? String(h.netns) : '—');
}

/** The numbers behind the names, for tooltips. */
export function placeNumbers(h: Pick<Hop, 'ifindex' | 'netns'>): string {
  return `ifindex ${h.ifindex} · netns inode ${h.netns}`;
}

/** "netns client → router · if veth0 → veth1" for the line between two hops whose place differs. */
export function placeChange(prev: Hop, h: Hop): string {
  const parts: string[] = [];
  if (prev.netns !== h.netns) parts.push(`netns ${netnsLabel(prev)} → ${netnsLabel(h)}`);
  if (prev.ifindex && h.ifindex && prev.ifindex !== h.ifindex)
    parts.push(`interface ${ifLabel(prev)} → ${ifLabel(h)}`);
  else if (h.ifindex && prev.ifindex !== h.ifindex) parts.push(`on ${ifLabel(h)}`);
  return parts.join(' · ');
}
