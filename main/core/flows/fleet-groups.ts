import type { FleetGroup } from '../../api/flows.js';
import { variantKey } from '../../api/path-variants.js';
import type { RunVariant } from '../../api/sessions.js';

/** What the fleet summary reads of a run: its host, id and path variants (most frequent first). */
export interface FleetRun {
  host: string;
  id: string;
  variants: readonly RunVariant[];
}

/**
 * Hosts grouped by the path their packets took: each run's dominant variant — its most frequent complete path (a
 * path cut by the trace's end is not "the" path), with its outcome, keyed as path-variants.ts keys variants — and the
 * runs that share it. Most hosts first; runs without packets are in no group.
 */
export function fleetGroups(runs: readonly FleetRun[]): FleetGroup[] {
  const groups = new Map<string, FleetGroup>();
  for (const run of runs) {
    const v = run.variants.find((x) => !x.partial) ?? run.variants[0];
    if (!v) continue;
    const outcome = {
      ...(v.verdict ? { verdict: v.verdict } : {}),
      ...(v.drop_reason ? { drop_reason: v.drop_reason } : {}),
    };
    const key = variantKey(v.functions, outcome, v.partial);
    const member = { host: run.host, run: run.id, count: v.count, packet: v.firstPacket };
    const g = groups.get(key);
    if (g) g.runs.push(member);
    else groups.set(key, { functions: v.functions, ...outcome, runs: [member] });
  }
  return [...groups.values()].sort((a, b) => b.runs.length - a.runs.length);
}
