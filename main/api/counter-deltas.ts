import type { HostContext } from './explain.js';

/** One namespace's kernel counters that moved during the run: end − start, non-zero only. */
export interface CounterDeltas {
  netns: number;
  name: string;
  deltas: Record<string, number>;
}

/** Counter deltas per namespace present in both snapshots (matched by inode), from the start and end captures. */
export function counterDeltas(ctx: HostContext | undefined): CounterDeltas[] {
  const out: CounterDeltas[] = [];
  for (const end of ctx?.end?.namespaces ?? []) {
    const start = ctx?.start?.namespaces.find((n) => n.netns === end.netns);
    if (!start) continue;
    const deltas: Record<string, number> = {};
    for (const [k, v] of Object.entries(end.counters)) {
      const before = start.counters[k];
      if (before !== undefined && v !== before) deltas[k] = v - before;
    }
    out.push({ netns: end.netns, name: start.name, deltas });
  }
  return out;
}
